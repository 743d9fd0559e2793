"""Generate the binary sample articles in ``ingest/sample_kb/``.

Writes two files so that the PDF and DOCX loaders have real input:

* ``it-security-policy-summary.pdf``: English, three pages, made with fpdf2 and a core font.
* ``laptop-return-guide.docx``: Korean, Heading 1/Heading 2 styles, made with python-docx.

Both are reproducible: timestamps are fixed and the DOCX zip entries get a fixed date, so
running the script again gives byte-identical files (as long as the library versions stay the
same). Run from the repository root::

    .venv/bin/python scripts/make_sample_binaries.py
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from fpdf import FPDF

OUT_DIR = Path(__file__).resolve().parent.parent / "ingest" / "sample_kb"
FIXED_TIME = datetime(2026, 9, 1, 9, 0, 0, tzinfo=UTC)
ZIP_TIME = (2026, 9, 1, 9, 0, 0)

PDF_TITLE = "Hanbit IT Security Policy - Employee Summary"
DOCX_TITLE = "노트북 반납 안내"

# --------------------------------------------------------------------------------------------
# PDF content. Each page is a list of blocks: ("h1" | "h2" | "p" | "li", text).
# Core PDF fonts only cover Latin-1, so the text sticks to plain ASCII punctuation.
# --------------------------------------------------------------------------------------------
PDF_PAGES: list[list[tuple[str, str]]] = [
    [
        ("h1", PDF_TITLE),
        (
            "p",
            "Version 2026.2, effective 1 September 2026. Owner: Information Security. This "
            "summary explains the rules of the Hanbit IT Security Policy that apply to every "
            "employee and every contractor with a Hanbit account. The full policy is published "
            "on Hanbit Works > Security Notices. If this summary and the full policy differ, "
            "the full policy applies.",
        ),
        ("h2", "1. Scope"),
        (
            "p",
            "The policy covers all company-issued devices (laptops, desktops, phones, OTP "
            "tokens, secure USB drives), all Hanbit accounts, and all company information "
            "wherever it is stored, including personal phones enrolled in Intune.",
        ),
        ("h2", "2. Accounts and passwords"),
        (
            "li",
            "Your Hanbit ID is personal. Never share your password or approve an MFA request "
            "for someone else.",
        ),
        (
            "li",
            "Passwords must be at least 12 characters and use at least 3 of 4 character "
            "types. They expire every 90 days, and the last 5 passwords cannot be reused.",
        ),
        ("li", "Five wrong passwords in a row lock the account for 30 minutes."),
        (
            "li",
            "MFA (Microsoft Authenticator or a hardware OTP token) is mandatory for the VPN "
            "and for every sign-in from outside the office.",
        ),
        ("h2", "3. Devices"),
        (
            "li",
            "Only company-managed devices may connect to the corporate network, HANBIT-CORP "
            "Wi-Fi or HanbitVPN. Personal devices use HANBIT-GUEST.",
        ),
        (
            "li",
            "Screens lock automatically after 10 minutes of inactivity. Lock your screen "
            "(Windows + L) whenever you leave your desk.",
        ),
        (
            "li",
            "Disks are encrypted with BitLocker (FileVault on Mac). Do not disable "
            "encryption, antivirus, EDR, DLP or DRM agents.",
        ),
        (
            "li",
            "Install software only from Software Center or Self Service, or after an approved "
            "installation request.",
        ),
    ],
    [
        ("h2", "4. Information classification"),
        (
            "p",
            "Every document belongs to one of four classes. Label documents in Confidential "
            "and Strictly Confidential classes in the header or file name.",
        ),
        ("li", "Public: approved for release outside Hanbit (press releases, published manuals)."),
        ("li", "Internal: default for business documents; may be shared with any employee."),
        (
            "li",
            "Confidential: customer data, contracts, personal data, unreleased financial "
            "results. Share only with people who need it.",
        ),
        (
            "li",
            "Strictly Confidential: M&A plans, security configurations, board materials. "
            "Named recipients only, stored in restricted folders.",
        ),
        ("h2", "5. Handling and sharing information"),
        (
            "li",
            "Documents created on company PCs are protected by Hanbit DRM. Sending them "
            "outside Hanbit requires an approved DRM release request.",
        ),
        (
            "li",
            "Writing to USB storage is blocked by default. Exceptions are limited to "
            "company-issued secure USB drives, for at most 30 days, with team lead and "
            "Information Security approval.",
        ),
        (
            "li",
            "Personal webmail and personal cloud storage are blocked. Use Hanbit Drive links "
            "for external sharing; external links expire after 7 days by default.",
        ),
        ("li", "Automatic forwarding of company e-mail to external addresses is blocked."),
        (
            "li",
            "Resident registration numbers and other unique identifiers must always be stored "
            "encrypted and must never be sent in an e-mail body or chat message.",
        ),
        ("h2", "6. Remote work and travel"),
        (
            "li",
            "Use HanbitVPN on every network outside the office, including home, hotel and "
            "cafe Wi-Fi.",
        ),
        ("li", "Do not work on confidential material where others can read your screen."),
        ("li", "For countries on the high-risk list, take a travel laptop instead of your own."),
    ],
    [
        ("h2", "7. Reporting incidents"),
        (
            "p",
            "Report security incidents immediately. Prompt reporting is never penalised; "
            "hiding an incident is.",
        ),
        (
            "li",
            "Lost or stolen devices, suspected malware, misdirected e-mails containing "
            "personal or confidential data: call Information Security on ext. 1119 "
            "(+82-2-6000-1119, 24 hours) within 1 hour.",
        ),
        (
            "li",
            "Phishing e-mails: use the Report Phishing button in Outlook, or forward the "
            "e-mail as an attachment to phishing@hanbit.example.",
        ),
        ("li", "If you suspect malware, disconnect the network but do not switch the PC off."),
        ("h2", "8. Monitoring"),
        (
            "p",
            "To protect company information, Hanbit logs the use of company systems: sign-ins, "
            "VPN sessions, file copies to removable media, DRM releases, web access from the "
            "corporate network and privilege elevations. Logs are kept for 1 year and accessed "
            "only by Information Security for investigations and audits. Hanbit does not "
            "access the personal data on personal phones enrolled in Intune.",
        ),
        ("h2", "9. Training"),
        (
            "p",
            "All staff complete the Information Security Basics course within 7 days of "
            "joining and a refresher every year. Anyone who fails a quarterly phishing drill "
            "completes an additional 30-minute course.",
        ),
        ("h2", "10. Violations"),
        (
            "p",
            "Violations can lead to removal of access rights, disciplinary action under the "
            "Rules of Employment, and, where the law is broken, legal action. Questions about "
            "this policy: security@hanbit.example.",
        ),
    ],
]


class _PolicyPDF(FPDF):
    def footer(self) -> None:  # fpdf2 hook: page footer
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 10, f"Hanbit Corp - Internal - Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def make_pdf(path: Path) -> None:
    pdf = _PolicyPDF(format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(PDF_TITLE)
    pdf.set_author("Hanbit Information Security")
    pdf.set_subject("IT security policy summary for employees")
    pdf.set_keywords("security, policy, password, usb, drm, incident")
    pdf.set_creator("servicedesk scripts/make_sample_binaries.py")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=22)

    for blocks in PDF_PAGES:
        pdf.add_page()  # explicit page break for every page of content
        for kind, text in blocks:
            if kind == "h1":
                pdf.set_font("Helvetica", "B", 17)
                pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
            elif kind == "h2":
                pdf.ln(3)
                pdf.set_font("Helvetica", "B", 13)
                pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            elif kind == "p":
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind == "li":
                pdf.set_font("Helvetica", "", 10.5)
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(0, 5.5, "- " + text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            else:  # pragma: no cover - programming error
                raise ValueError(kind)
    pdf.output(str(path))


# --------------------------------------------------------------------------------------------
# DOCX content: ("h1" | "h2" | "p" | "bullet" | "number", text)
# --------------------------------------------------------------------------------------------
DOCX_BLOCKS: list[tuple[str, str]] = [
    ("h1", DOCX_TITLE),
    (
        "p",
        "회사 노트북을 교체받았거나, 퇴사·장기 휴직으로 더 이상 사용하지 않게 되었을 때의 반납 "
        "절차입니다. 노트북은 회사 자산이므로 정해진 기한 안에 반드시 반납해야 하며, 반납하지 "
        "않으면 자산 미반납으로 팀장과 인사팀에 통보됩니다.",
    ),
    ("h2", "반납 기한"),
    ("bullet", "새 노트북으로 교체한 경우: 새 노트북 수령 후 5영업일 이내"),
    ("bullet", "퇴사하는 경우: 마지막 근무일까지"),
    ("bullet", "3개월 이상 휴직하는 경우: 휴직 시작 전까지 (복직 시 다시 지급)"),
    ("bullet", "해외 출장용 노트북: 귀국 후 3영업일 이내"),
    ("bullet", "수리 기간 동안 빌린 대여용 노트북: 수리된 노트북을 받은 날"),
    ("h2", "반납 전에 할 일"),
    (
        "number",
        '작업 표시줄의 OneDrive 구름 아이콘을 눌러 한빛드라이브 동기화가 "최신 상태"인지 '
        "확인합니다. 바탕 화면, 문서, 사진 폴더는 자동으로 백업됩니다.",
    ),
    (
        "number",
        "C:\\Work 처럼 동기화되지 않는 폴더에 있는 업무 파일을 한빛드라이브나 부서 공유 "
        "폴더로 옮깁니다.",
    ),
    (
        "number",
        "개인 사진, 개인 문서 등 개인 자료를 삭제합니다. 반납 후에는 개인 자료를 돌려드릴 "
        "수 없습니다.",
    ),
    ("number", "브라우저에 로그인한 개인 계정(개인 구글 계정 등)에서 로그아웃합니다."),
    (
        "p",
        "Windows를 직접 초기화하거나 BitLocker를 해제하지 마세요. 초기화는 IT 헬프존에서 반납 "
        "확인 후 진행하며, 노트북 바닥의 자산 스티커(HB-로 시작하는 번호)도 떼지 마세요.",
    ),
    ("h2", "함께 반납할 물품"),
    ("bullet", "노트북 본체와 전원 어댑터(충전기)"),
    ("bullet", "개인별로 지급받은 도킹 스테이션, USB-C 어댑터"),
    ("bullet", "퇴사하는 경우: 회사 지급 휴대폰, 하드웨어 OTP 토큰, 보안 USB"),
    (
        "p",
        "모니터, 키보드, 마우스 등 자리에 설치된 주변기기는 교체 시에는 그대로 사용하고, 퇴사 "
        "시에는 자리에 두고 가면 됩니다. 충전기나 어댑터를 분실했다면 반납할 때 말씀해 주세요.",
    ),
    ("h2", "반납 장소와 방법"),
    ("bullet", "본사: 7층 IT 헬프존 (평일 09:00–18:00, 예약 없이 방문)"),
    ("bullet", "부산지사: 2층 IT 데스크"),
    (
        "bullet",
        "재택·원격 근무자: it.hanbit.example > 서비스 요청 > 하드웨어 > 택배 반납 신청을 "
        "제출하면 반납용 상자와 택배 송장이 집으로 배송됩니다. 택배비는 회사가 부담합니다.",
    ),
    (
        "p",
        "반납할 때 담당자가 외관 상태와 부속품을 함께 확인합니다. 파손이 있더라도 숨기지 말고 "
        "알려 주세요.",
    ),
    ("h2", "반납 후 처리"),
    (
        "bullet",
        '반납이 완료되면 "IT 장비 반납 확인서"가 메일로 발송됩니다. 퇴사자는 이 확인서가 '
        "퇴직 처리에 필요합니다.",
    ),
    (
        "bullet",
        "반납된 노트북은 14일 동안 그대로 보관된 뒤, 디스크를 완전히 삭제하고 재사용 또는 "
        "폐기합니다. 14일 안에는 빠뜨린 업무 파일을 찾아 달라고 요청할 수 있습니다.",
    ),
    (
        "bullet",
        "4년이 지난 노트북은 데이터 완전 삭제 후 인증된 업체를 통해 폐기합니다. 개인에게 "
        "판매하지 않습니다.",
    ),
    ("h2", "문의"),
    ("p", "IT 서비스데스크: 내선 1004 / 02-6000-1004 / Slack #it-help"),
]


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip (DOCX) with fixed entry timestamps and a stable entry order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def make_docx(path: Path) -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Malgun Gothic"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "맑은 고딕")

    for kind, text in DOCX_BLOCKS:
        if kind == "h1":
            doc.add_heading(text, level=1)
        elif kind == "h2":
            doc.add_heading(text, level=2)
        elif kind == "p":
            doc.add_paragraph(text)
        elif kind == "bullet":
            doc.add_paragraph(text, style="List Bullet")
        elif kind == "number":
            doc.add_paragraph(text, style="List Number")
        else:  # pragma: no cover - programming error
            raise ValueError(kind)

    props = doc.core_properties
    props.title = DOCX_TITLE
    props.subject = "노트북 반납 절차"
    props.author = "한빛 IT 서비스데스크"
    props.last_modified_by = "한빛 IT 서비스데스크"
    props.keywords = "laptop, return, 노트북, 반납"
    props.language = "ko-KR"
    props.created = FIXED_TIME.replace(tzinfo=None)
    props.modified = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1

    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_normalize_zip(buf.getvalue()))


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    pdf_path = OUT_DIR / "it-security-policy-summary.pdf"
    docx_path = OUT_DIR / "laptop-return-guide.docx"
    make_pdf(pdf_path)
    make_docx(docx_path)
    for p in (pdf_path, docx_path):
        print(f"wrote {p.relative_to(OUT_DIR.parent.parent)} ({p.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
