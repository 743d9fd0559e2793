"""Loaders: each format yields the articles a user expects, and bad files fail with a reason."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from ingest.articles import LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file, load_kb_jsonl

pytestmark = pytest.mark.unit


def write(path: Path, text: str) -> Path:
    """Write UTF-8 text and return the path."""
    path.write_text(text, encoding="utf-8")
    return path


def make_pdf(path: Path, pages: list[str], title: str = "", password: str | None = None) -> Path:
    """Write a real PDF with one text block per page (an empty string gives a blank page)."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if password is not None:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_docx(path: Path, core_title: str = "") -> Path:
    """Write a real DOCX with a title, headings, a list, a table and plain paragraphs."""
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("VPN Guide", style="Title")
    document.add_paragraph("Install the client before connecting.")
    document.add_heading("Installation", level=1)
    document.add_paragraph("Download the installer", style="List Bullet")
    document.add_paragraph("Run it as administrator", style="List Number")
    document.add_heading("Error codes", level=2)
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Code"
    table.rows[0].cells[1].text = "Meaning"
    table.rows[1].cells[0].text = "809"
    table.rows[1].cells[1].text = "Port blocked"
    document.add_paragraph("# of licences is limited.")
    document.save(str(path))
    return path


# --- registry ---------------------------------------------------------------------------------


def test_supported_suffixes_cover_every_format() -> None:
    expected = {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".csv", ".jsonl"}
    assert expected <= set(SUPPORTED_SUFFIXES)


def test_suffix_dispatch_is_case_insensitive(tmp_path: Path) -> None:
    articles = load_file(write(tmp_path / "NOTES.TXT", "Printer jam\nOpen tray 2."))
    assert articles[0].title == "Printer jam"


def test_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "setup.exe"
    path.write_bytes(b"MZ\x90\x00")
    with pytest.raises(LoaderError, match=r"unsupported file type \.exe"):
        load_file(path)


def test_directory_named_like_a_document_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(LoaderError, match="unreadable"):
        load_file(tmp_path / "folder.md")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.md", "# Secret\ntext")
    path.chmod(0)
    try:
        with pytest.raises(LoaderError, match="unreadable"):
            load_file(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_empty_file_of_every_format_is_reported_empty(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"blank{suffix}"
    path.write_bytes(b"")
    with pytest.raises(LoaderError, match="empty"):
        load_file(path)


# --- markdown ---------------------------------------------------------------------------------


def test_markdown_front_matter_sets_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path / "vpn.md",
        "---\n"
        "id: KB-001\n"
        "title: VPN setup\n"
        "tags: [vpn, network]\n"
        "allowed_groups: staff, it\n"
        "owner: it-ops\n"
        "updated: 2024-05-01\n"
        "---\n"
        "# VPN setup\n\n## Install\nRun the installer.\n",
    )
    [article] = load_file(path)
    assert article.article_id == "KB-001"
    assert article.title == "VPN setup"
    assert article.tags == ["vpn", "network"]
    assert article.allowed_groups == ["staff", "it"]
    assert article.owner == "it-ops"
    assert article.updated == "2024-05-01"
    assert article.lang == "en"
    assert article.text.startswith("# VPN setup\n")
    assert "## Install" in article.text
    assert "id: KB-001" not in article.text
    assert article.source == str(path)


def test_markdown_defaults_come_from_stem_and_first_heading(tmp_path: Path) -> None:
    [article] = load_file(write(tmp_path / "printer.md", "Intro\n\n# Printer jams\nOpen tray."))
    assert article.article_id == "printer"
    assert article.title == "Printer jams"
    [no_heading] = load_file(write(tmp_path / "wifi.markdown", "Just text."))
    assert no_heading.title == "wifi"


def test_markdown_korean_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path / "ko.md", "# VPN 접속 오류\n\n재부팅 후 다시 접속하세요.")
    [article] = load_file(path)
    assert article.lang == "ko"


def test_markdown_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes("# Caf\u00e9 r\u00e9seau\n".encode("latin-1"))
    with pytest.raises(LoaderError, match="UTF-8"):
        load_file(path)


def test_markdown_invalid_yaml_front_matter_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nBody\n")
    with pytest.raises(LoaderError, match="front matter"):
        load_file(path)


def test_markdown_front_matter_list_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "list.md", "---\n- a\n- b\n---\nBody\n")
    with pytest.raises(LoaderError, match="not a mapping"):
        load_file(path)


def test_markdown_front_matter_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    # Nine lines of YAML aliases nest 9**9 strings; printing the tag would take gigabytes.
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    front = "\n".join([*levels, "tags: [*a8]"])
    path = write(tmp_path / "laughs.md", f"---\n{front}\n---\n# Laughs\n\nBody\n")
    started = time.perf_counter()
    with pytest.raises(LoaderError, match=r"^bad metadata: tags must be a list of single values$"):
        load_file(path)
    assert time.perf_counter() - started < 1.0


def test_markdown_with_only_front_matter_is_empty(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="empty"):
        load_file(write(tmp_path / "meta.md", "---\ntitle: Nothing\n---\n\n"))


# --- html -------------------------------------------------------------------------------------

HTML_PAGE = """<!doctype html>
<html><head>
  <title>Reset your password</title>
  <meta name="kb-id" content="KB-42">
  <meta name="kb-tags" content="account, password">
  <meta name="kb-groups" content="staff">
  <meta name="kb-owner" content="helpdesk">
  <meta name="kb-updated" content="2024-03-02">
  <style>.secret-style { color: red }</style>
  <script>var trackingCode = 1;</script>
</head><body>
  <nav>Home | Products | Contact</nav>
  <header>Site banner</header>
  <main>
    <h1>Reset your password</h1>
    <p>Use the   self-service
       portal.</p>
    <h2>Steps</h2>
    <ul><li>Open <b>portal</b></li><li>Click reset</li></ul>
    <table><tr><th>Error</th><th>Fix</th></tr><tr><td>E1</td><td>Retry</td></tr></table>
    <script>alert('inline')</script>
  </main>
  <aside>Related ads</aside>
  <footer>Copyright footer</footer>
</body></html>
"""


def test_html_keeps_structure_and_drops_page_furniture(tmp_path: Path) -> None:
    [article] = load_file(write(tmp_path / "reset.html", HTML_PAGE))
    lines = article.text.split("\n")
    assert lines[0] == "# Reset your password"
    assert "Use the self-service portal." in lines
    assert "## Steps" in lines
    assert "- Open portal" in lines and "- Click reset" in lines
    assert "Error | Fix" in lines and "E1 | Retry" in lines
    for noise in (
        "Home | Products",
        "banner",
        "trackingCode",
        "secret-style",
        "alert",
        "ads",
        "Copyright",
    ):
        assert noise not in article.text
    assert lines.index("## Steps") < lines.index("- Open portal")


def test_html_metadata_from_meta_tags(tmp_path: Path) -> None:
    [article] = load_file(write(tmp_path / "reset.htm", HTML_PAGE))
    assert article.article_id == "KB-42"
    assert article.title == "Reset your password"
    assert article.tags == ["account", "password"]
    assert article.allowed_groups == ["staff"]
    assert article.owner == "helpdesk"
    assert article.updated == "2024-03-02"


def test_html_defaults_without_metadata(tmp_path: Path) -> None:
    page = "<html><body><h1>메일 설정</h1><p>아웃룩에서 계정을 추가하세요.</p></body></html>"
    [article] = load_file(write(tmp_path / "mail.html", page))
    assert article.article_id == "mail"
    assert article.title == "메일 설정"
    assert article.lang == "ko"


def test_html_in_declared_legacy_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="euc-kr"></head><body><p>프린터 연결 방법</p></body></html>'
    path = tmp_path / "legacy.html"
    path.write_bytes(page.encode("euc-kr"))
    [article] = load_file(path)
    assert article.text == "프린터 연결 방법"


def test_html_with_only_furniture_is_empty(tmp_path: Path) -> None:
    page = "<html><body><nav>Menu</nav><script>x()</script></body></html>"
    with pytest.raises(LoaderError, match="empty"):
        load_file(write(tmp_path / "nav.html", page))


# --- pdf --------------------------------------------------------------------------------------


def test_pdf_pages_become_sections(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "manual.pdf",
        [
            "Printer manual\nLoad paper in tray 1.",
            "Clearing jams\nOpen the rear door.",
            "",
            "Toner\nReplace the cartridge.",
        ],
        title="Printer Manual 2024",
    )
    [article] = load_file(path)
    assert article.article_id == "manual"
    assert article.title == "Printer Manual 2024"
    assert "## Page 1" in article.text
    assert "## Page 2\nClearing jams" in article.text
    assert "## Page 3" not in article.text  # blank page skipped, numbering kept
    assert "## Page 4" in article.text and "Replace the cartridge." in article.text


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    [article] = load_file(make_pdf(tmp_path / "notitle.pdf", ["Badge access\nSwipe twice."]))
    assert article.title == "Badge access"


def test_pdf_truncated_is_corrupt(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["Some text"] * 3).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(LoaderError, match="corrupt PDF"):
        load_file(path)


def test_pdf_random_bytes_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(LoaderError, match="corrupt PDF"):
        load_file(path)


def test_pdf_with_password_is_refused(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "locked.pdf", ["Top secret"], password="s3cret")
    with pytest.raises(LoaderError, match="encrypted PDF"):
        load_file(path)


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    [article] = load_file(make_pdf(tmp_path / "restricted.pdf", ["No printing"], password=""))
    assert "No printing" in article.text


def test_pdf_without_text_layer_is_empty(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="empty"):
        load_file(make_pdf(tmp_path / "scan.pdf", ["", ""]))


# --- docx -------------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    [article] = load_file(make_docx(tmp_path / "vpn.docx"))
    lines = article.text.split("\n")
    assert article.article_id == "vpn"
    assert article.title == "VPN Guide"  # first Title/Heading paragraph
    assert lines[0] == "# VPN Guide"
    assert "# Installation" in lines
    assert "## Error codes" in lines
    assert "- Download the installer" in lines and "- Run it as administrator" in lines
    assert "Code | Meaning" in lines and "809 | Port blocked" in lines
    assert lines.index("## Error codes") < lines.index("809 | Port blocked")
    assert "# of licences is limited." not in lines  # a body line must not turn into a heading


def test_docx_core_title_wins(tmp_path: Path) -> None:
    [article] = load_file(make_docx(tmp_path / "doc.docx", core_title="Remote Access"))
    assert article.title == "Remote Access"


def test_zip_that_is_not_a_docx_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(LoaderError, match="corrupt DOCX"):
        load_file(path)


def test_plain_text_named_docx_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="corrupt DOCX"):
        load_file(write(tmp_path / "fake.docx", "This is just text."))


def test_docx_without_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    with pytest.raises(LoaderError, match="empty"):
        load_file(path)


# --- txt --------------------------------------------------------------------------------------


def test_text_file_is_one_article(tmp_path: Path) -> None:
    [article] = load_file(write(tmp_path / "wifi.txt", "\n\nWi-Fi guest access\nAsk reception."))
    assert article.article_id == "wifi"
    assert article.title == "Wi-Fi guest access"
    assert "Ask reception." in article.text


def test_text_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cp949.txt"
    path.write_bytes("비밀번호 초기화".encode("cp949"))
    with pytest.raises(LoaderError, match="UTF-8"):
        load_file(path)


# --- faq --------------------------------------------------------------------------------------


def test_csv_faq_with_bom_and_korean(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    content = (
        "id,question,answer,tags,allowed_groups,owner,updated\n"
        "F1,VPN이 연결되지 않아요,클라이언트를 재시작한 후 다시 로그인하세요.,vpn|network,staff|it,"
        "it-ops,2024-01-02\n"
        ",How do I reset my password?,Use the self-service portal.,,,,\n"
        "F3,Question without answer,,,,,\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    articles = load_file(path)
    assert [a.article_id for a in articles] == ["F1", "faq-2"]
    korean, english = articles
    assert korean.title == "VPN이 연결되지 않아요"
    assert korean.text == "클라이언트를 재시작한 후 다시 로그인하세요."
    assert korean.lang == "ko"
    assert korean.tags == ["vpn", "network"]
    assert korean.allowed_groups == ["staff", "it"]
    assert korean.owner == "it-ops" and korean.updated == "2024-01-02"
    assert korean.source == f"{path}#F1"
    assert english.lang == "en" and english.tags == []


def test_csv_without_answer_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="answer"):
        load_file(write(tmp_path / "faq.csv", "id,question\n1,Why?\n"))


def test_csv_without_any_complete_row_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="no FAQ rows"):
        load_file(write(tmp_path / "faq.csv", "question,answer\nWhy?,\n,Because\n"))


def test_jsonl_faq_rows(tmp_path: Path) -> None:
    rows = [
        {
            "id": "J1",
            "question": "Printer offline?",
            "answer": "Power-cycle it.",
            "tags": ["printer"],
            "allowed_groups": ["staff"],
            "lang": "en",
        },
        {"question": "No answer here"},
        {"question": "메일 용량은?", "answer": "기본 50GB입니다."},
    ]
    path = write(tmp_path / "faq.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    first, second = load_file(path)
    assert first.article_id == "J1" and first.tags == ["printer"]
    assert first.allowed_groups == ["staff"]
    assert second.article_id == "faq-3" and second.lang == "ko"


def test_jsonl_bad_line_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '{"question": "a", "answer": "b"}\n{not json\n')
    with pytest.raises(LoaderError, match="line 2"):
        load_file(path)


def test_kb_jsonl_format_is_detected(tmp_path: Path) -> None:
    rows = [
        {
            "doc_id": "d1",
            "title": "VPN 접속 가이드",
            "text": "VPN 클라이언트를 설치하세요.",
            "lang": "ko",
            "source": "https://kb.example.com/vpn",
            "meta": {"tags": ["vpn"]},
        },
        {
            "doc_id": "d2",
            "title": "Printer",
            "text": "Load paper.",
            "lang": "en",
            "source": "synthetic",
            "meta": {"tags": "not-a-list"},
        },
    ]
    path = write(tmp_path / "kb.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    for articles in (load_file(path), load_kb_jsonl(path)):
        first, second = articles
        assert first.article_id == "d1" and first.title == "VPN 접속 가이드"
        assert first.lang == "ko" and first.tags == ["vpn"]
        assert first.source == "https://kb.example.com/vpn"
        assert second.source == f"{path}#d2" and second.tags == []
        assert second.text == "Load paper."


def test_load_kb_jsonl_refuses_faq_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl", '{"question": "a", "answer": "b"}\n')
    with pytest.raises(LoaderError, match=r"kb\.jsonl"):
        load_kb_jsonl(path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "id,question,answer\nX,Q1,A1\nX,Q2,A2\n")
    with pytest.raises(LoaderError, match="duplicate id"):
        load_file(path)
