"""Upload safety: file names, zip entries, size caps, a full disk; result lines; SVG charts."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from bot.library.library import FileResult, matches
from bot.library.uploads import MB, UploadLimits, UploadRejected, plan_zip, safe_name, unpack_zip
from bot.web.admin.charts import bar_chart, line_chart, percent
from retrieval.schema import ArticleEntry

pytestmark = pytest.mark.unit

LIMITS = UploadLimits(max_bytes=MB, max_unpacked_bytes=2 * MB, max_members=10)


def archive(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            out.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def refusal(*entries) -> str:
    with pytest.raises(UploadRejected) as caught:
        plan_zip(archive(*entries), LIMITS)
    assert caught.value.status == 422
    return caught.value.reason


@pytest.mark.parametrize(
    ("name", "expected"),
    [("guide.md", "guide.md"), ("C:\\Users\\kim\\가이드.md", "가이드.md"), ("a/b/c.pdf", "c.pdf")],
)
def test_safe_name_keeps_only_the_last_part(name, expected) -> None:
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["", "..", "dir/", ".env", "a\x00b"])
def test_safe_name_refuses_names_that_are_no_file(name) -> None:
    with pytest.raises(UploadRejected):
        safe_name(name)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../evil.md", "points outside the archive"),
        ("docs/../../evil.md", "points outside the archive"),
        ("..\\evil.md", "points outside the archive"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.md", "absolute path"),
    ],
)
def test_unsafe_zip_entries_refuse_the_whole_archive(entry, reason) -> None:
    assert reason in refusal(("good.md", b"# ok"), (entry, b"x"))


def test_symbolic_links_are_refused() -> None:
    link = zipfile.ZipInfo("link.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert "symbolic link" in refusal((link, b"/etc/passwd"))


def test_zip_bombs_and_too_many_entries_are_refused_before_writing() -> None:
    assert "unpacks to 3 MB, the limit is 2 MB" in refusal(("zeros.txt", b"0" * 3 * MB))
    many = [(f"f{i}.md", b"x") for i in range(11)]
    assert "11 entries, the limit is 10" in refusal(*many)


def test_folders_resource_forks_and_hidden_files_are_skipped() -> None:
    plan = plan_zip(
        archive(
            ("docs/", b""),
            ("docs/a.md", b"# a"),
            ("__MACOSX/docs/._a.md", b"junk"),
            ("docs/.DS_Store", b"junk"),
        ),
        LIMITS,
    )
    assert [rel for _, rel in plan] == ["docs/a.md"]


def test_korean_names_stored_without_the_utf8_flag_are_decoded() -> None:
    # Korean Windows zip tools store CP949 bytes without the UTF-8 flag.
    korean = "가이드.md".encode("cp949")
    raw = _zip_bytes(("XXXXXX.md", b"# ok")).replace(b"XXXXXX.md", korean)
    data = zipfile.ZipFile(io.BytesIO(raw))
    assert [rel for _, rel in plan_zip(data, LIMITS)] == ["가이드.md"]


def test_unpack_writes_inside_the_destination_only(tmp_path: Path) -> None:
    source = tmp_path / "in.zip"
    source.write_bytes(_zip_bytes(("a/b.md", b"# b"), ("c.md", b"# c")))
    files = unpack_zip(source, tmp_path / "out", LIMITS)
    assert sorted(rel for _, rel in files) == ["a/b.md", "c.md"]
    assert (tmp_path / "out" / "a" / "b.md").read_bytes() == b"# b"


def test_a_full_disk_refuses_with_507_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.zip"
    source.write_bytes(_zip_bytes(("a.md", b"# a")))
    with pytest.raises(UploadRejected) as caught:
        unpack_zip(source, tmp_path / "out", LIMITS, free_bytes=lambda folder: 0)
    assert caught.value.status == 507 and "disk is full" in caught.value.reason
    assert not list((tmp_path / "out").iterdir())


def test_a_corrupt_zip_says_so(tmp_path: Path) -> None:
    source = tmp_path / "bad.zip"
    source.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(UploadRejected, match="not a valid zip archive"):
        unpack_zip(source, tmp_path / "out", LIMITS)


def test_limits_follow_the_upload_setting() -> None:
    limits = UploadLimits.from_mb(50)
    assert (limits.max_bytes, limits.max_unpacked_bytes) == (50 * MB, 500 * MB)
    assert limits.too_large().status == 413 and "50 MB" in limits.too_large().reason


def test_result_lines() -> None:
    assert FileResult("a.pdf", "failed", reason="corrupt PDF").line() == "FAILED a.pdf: corrupt PDF"
    many = FileResult("faq.csv", "added", [f"FAQ-{i}" for i in range(10)]).line()
    assert many.startswith("ADDED faq.csv: FAQ-0, FAQ-1") and many.endswith("(+2 more)")


def test_article_search_matches_every_word_in_id_title_or_tags() -> None:
    entry = ArticleEntry("KB-VPN-001", "VPN 연결 끊김", "x", "ko", "h", tags=["network", "vpn"])
    assert matches(entry, "vpn network") and matches(entry, "kb-vpn 끊김") and matches(entry, "")
    assert not matches(entry, "vpn printer")


def test_bar_chart_shows_each_value_and_escapes_labels() -> None:
    svg = str(bar_chart([("<b>new</b>", 3), ("open", 0)], "chart-x", "Tickets"))
    assert 'data-testid="chart-x"' in svg and 'data-value="3"' in svg and 'data-value="0"' in svg
    assert "<b>" not in svg and "&lt;b&gt;new&lt;/b&gt;" in svg


def test_line_chart_leaves_a_gap_where_a_week_has_no_data() -> None:
    svg = str(line_chart(["W1", "W2", "W3"], [("CSAT", [0.5, None, 1.0])], "c", "t", percent, True))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 2
    assert "CSAT W3: 100%" in svg


def _zip_bytes(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in entries:
            out.writestr(name, data)
    return buffer.getvalue()
