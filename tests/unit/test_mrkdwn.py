"""Markdown as the Desk writes it -> Slack mrkdwn: pure input -> output cases, exact outputs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.slack.mrkdwn import escape, link, to_mrkdwn

pytestmark = pytest.mark.unit


def _cases(*cases: tuple[str, str, str]) -> pytest.MarkDecorator:
    """Parametrise (id, markdown, expected mrkdwn) triples with readable test ids."""
    return pytest.mark.parametrize(
        ("markdown", "expected"), [pytest.param(md, out, id=name) for name, md, out in cases]
    )


@_cases(
    ("bold-stars", "**중요**: 재부팅하세요", "*중요*: 재부팅하세요"),
    ("bold-underscores", "__bold__ text", "*bold* text"),
    ("bold-before-hangul-particle", "**굵게**입니다", "*굵게*입니다"),
    ("bold-quote-before-particle", '**"VPN"**을 켜세요', '*"VPN"*을 켜세요'),
    ("italic-star", "an *italic* word", "an _italic_ word"),
    ("italic-underscore", "an _italic_ word", "an _italic_ word"),
    ("italic-before-hangul", "*기울임*입니다", "_기울임_입니다"),
    ("bold-italic", "***both***", "_*both*_"),
    ("italic-inside-bold", "**bold *and italic* here**", "*bold _and italic_ here*"),
    ("strike", "~~취소~~된 일정", "~취소~된 일정"),
    ("strike-around-bold", "~~**old**~~", "~*old*~"),
    ("korean-range-tilde-is-literal", "1~2일, 3~4일 소요", "1~2일, 3~4일 소요"),
    ("unbalanced-bold-is-literal", "**unbalanced text", "**unbalanced text"),
    ("arithmetic-stars", "2*3*4 = 24", "2*3*4 = 24"),
    ("spaced-arithmetic-stars", "2 * 3 * 4", "2 * 3 * 4"),
    ("power-stars", "2**10 = 1024", "2**10 = 1024"),
    ("glob-stars", "*.txt and *.log", "*.txt and *.log"),
    (
        "snake-case",
        "set snake_case_name and max_retry_count",
        "set snake_case_name and max_retry_count",
    ),
    (
        "windows-path",
        "C:\\Users\\me\\my_files\\new_doc.txt",
        "C:\\Users\\me\\my_files\\new_doc.txt",
    ),
    ("escaped-star-is-literal", "\\*not italic\\*", "*not italic*"),
)
def test_emphasis(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("h1-korean", "# VPN 연결 방법", "*VPN 연결 방법*"),
    ("h3-english", "### Before you start", "*Before you start*"),
    ("heading-bold-not-doubled", "## **Step 1** setup ##", "*Step 1 setup*"),
    ("hash-without-space-is-text", "#1 문제: #hashtag", "#1 문제: #hashtag"),
    ("empty-heading-dropped", "#\ntext", "text"),
    (
        "heading-between-paragraphs",
        "Intro\n\n## 해결 방법\n재부팅하세요.",
        "Intro\n\n*해결 방법*\n재부팅하세요.",
    ),
)
def test_headings_become_bold_lines(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("dash-bullets", "- 첫째\n- 둘째", "• 첫째\n• 둘째"),
    ("star-and-plus-bullets", "* one\n+ two", "• one\n• two"),
    (
        "nested-bullets",
        "- a\n  - b\n    - c\n      - d\n- e",
        "• a\n    ◦ b\n        ▪ c\n            ▪ d\n• e",
    ),
    ("tab-nested-bullets", "- a\n\t- b", "• a\n    ◦ b"),
    ("numbered-kept", "1. 설정 열기\n2. 네트워크 선택", "1. 설정 열기\n2. 네트워크 선택"),
    ("numbered-paren-kept", "1) first\n2) second", "1) first\n2) second"),
    (
        "bullets-under-numbers",
        "1. one\n2. two:\n   - a\n   - b\n3. three",
        "1. one\n2. two:\n    ◦ a\n    ◦ b\n3. three",
    ),
    (
        "numbers-under-bullets",
        "- VPN\n    1. 설치\n    2. 로그인",
        "• VPN\n    1. 설치\n    2. 로그인",
    ),
    ("bold-in-item", "- **Outlook**: 재시작", "• *Outlook*: 재시작"),
    ("continuation-line", "- item\n  wrapped text\n- next", "• item\n  wrapped text\n• next"),
    ("loose-list-keeps-nesting", "- a\n\n  - b", "• a\n\n    ◦ b"),
    ("task-list", "- [ ] 백업\n- [x] 재부팅", "• ☐ 백업\n• ☑ 재부팅"),
    ("korean-date-is-not-renumbered", "2024. 1. 3. 공지", "2024. 1. 3. 공지"),
    ("decimal-is-not-a-list", "1.5 GB 남음", "1.5 GB 남음"),
    ("paragraph-after-list-resets", "- a\n  - b\n\ntext\n- c", "• a\n    ◦ b\n\ntext\n• c"),
)
def test_lists(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("inline-code-keeps-markup", "run `**x** <tag> & y`", "run `**x** &lt;tag&gt; &amp; y`"),
    ("inline-code-keeps-underscores", "`snake_case_*x*`", "`snake_case_*x*`"),
    ("inline-code-mention-is-harmless", "`<!here>`", "`&lt;!here&gt;`"),
    ("inline-code-entity-not-decoded", "`&amp;`", "`&amp;amp;`"),
    ("inline-code-windows-path", "`C:\\Program Files\\App`", "`C:\\Program Files\\App`"),
    ("unclosed-backtick-is-literal", "unclosed `code **b**", "unclosed `code *b*"),
    (
        "fenced-code-verbatim",
        "```python\nprint('**hi**' < 3 & 4)\n<!channel> [1](x)\n```",
        "```\nprint('**hi**' &lt; 3 &amp; 4)\n&lt;!channel&gt; [1](x)\n```",
    ),
    (
        "fenced-code-keeps-blank-lines-and-indent",
        "```\ndef f():\n\n\n    return 1  \n```",
        "```\ndef f():\n\n\n    return 1  \n```",
    ),
    ("tilde-fence", "~~~\nls -la\n~~~", "```\nls -la\n```"),
    ("unclosed-fence-runs-to-end", "```\nipconfig /all\n**x**", "```\nipconfig /all\n**x**\n```"),
    ("empty-fence-dropped", "before\n```\n```\nafter", "before\nafter"),
    (
        "fence-inside-list-item",
        "1. 실행:\n    ```\n    ipconfig /all\n    ```\n2. 확인",
        "1. 실행:\n```\nipconfig /all\n```\n2. 확인",
    ),
)
def test_code_is_verbatim_but_escaped(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("link", "[가이드](https://kb.example.com/vpn)", "<https://kb.example.com/vpn|가이드>"),
    (
        "url-with-underscores-and-parens",
        "[Wiki](https://en.wikipedia.org/wiki/Foo_(bar)_baz)",
        "<https://en.wikipedia.org/wiki/Foo_(bar)_baz|Wiki>",
    ),
    ("url-ampersand-escaped", "[q](https://x.com/?a=1&b=2)", "<https://x.com/?a=1&amp;b=2|q>"),
    ("url-pipe-and-angle-encoded", "[t](https://x.com/a|b>c)", "<https://x.com/a%7Cb%3Ec|t>"),
    ("url-in-angle-brackets-with-space", "[t](<https://x.com/a b>)", "<https://x.com/a%20b|t>"),
    ("link-title-dropped", '[docs](https://x.com "Title")', "<https://x.com|docs>"),
    (
        "text-with-balanced-brackets",
        "[see [1] here](https://x.com)",
        "<https://x.com|see [1] here>",
    ),
    ("text-with-escaped-bracket", "[a\\]b](https://x.com)", "<https://x.com|a]b>"),
    ("text-with-pipe-and-angle", "[a|b > c](https://x.com)", "<https://x.com|a¦b &gt; c>"),
    ("text-markup-flattened", "[**굵은** `링크`](https://x.com)", "<https://x.com|굵은 링크>"),
    ("text-equal-to-url", "[https://x.com](https://x.com)", "<https://x.com>"),
    ("empty-text", "[](https://x.com)", "<https://x.com>"),
    ("bold-link", "**[가이드](https://x.com)**", "*<https://x.com|가이드>*"),
    ("image-becomes-link", "![화면](https://x.com/a.png)", "<https://x.com/a.png|화면>"),
    ("javascript-url-not-linked", "[click](javascript:alert(1))", "click"),
    ("relative-url-not-linked", "[문서](/kb/vpn)", "문서"),
    ("mailto-link", "[메일](mailto:help@example.com)", "<mailto:help@example.com|메일>"),
    ("markdown-autolink", "<https://x.com/a_b>", "<https://x.com/a_b>"),
    ("email-autolink", "<help@example.com>", "<mailto:help@example.com|help@example.com>"),
    ("slack-style-link-kept", "<https://x.com|click>", "<https://x.com|click>"),
)
def test_links(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    (
        "bare-url-left-for-slack",
        "See https://x.com/a_b_c for more",
        "See https://x.com/a_b_c for more",
    ),
    ("bare-url-ampersand", "https://x.com/?a=1&b=2", "https://x.com/?a=1&amp;b=2"),
    ("bare-url-trailing-period", "Visit https://x.com.", "Visit https://x.com."),
    ("bare-url-in-parens", "(see https://x.com/Foo_(bar))", "(see https://x.com/Foo_(bar))"),
    (
        "bare-url-before-hangul-wrapped",
        "https://portal.example.com에서 신청하세요",
        "<https://portal.example.com>에서 신청하세요",
    ),
    ("bold-bare-url-wrapped", "**https://x.com**", "*<https://x.com>*"),
    ("italic-bare-url-wrapped", "_https://x.com/a_b_", "_<https://x.com/a_b>_"),
    ("email-underscores-untouched", "first_last@example.com", "first_last@example.com"),
)
def test_bare_urls(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


LINKS = {1: "https://kb.example.com/a?x=1&y=2", 2: "https://kb.example.com/b", 5: "/not/a/url"}


@pytest.mark.parametrize(
    ("markdown", "links", "expected"),
    [
        pytest.param("재부팅하세요 [1].", None, "재부팅하세요 [1].", id="plain-without-links"),
        pytest.param(
            "재부팅하세요 [1].",
            LINKS,
            "재부팅하세요 <https://kb.example.com/a?x=1&amp;y=2|[1]>.",
            id="linked",
        ),
        pytest.param(
            "Restart [1][2].",
            LINKS,
            "Restart <https://kb.example.com/a?x=1&amp;y=2|[1]><https://kb.example.com/b|[2]>.",
            id="adjacent",
        ),
        pytest.param(
            "Restart [2, 3].",
            LINKS,
            "Restart <https://kb.example.com/b|[2]>[3].",
            id="comma-list-with-unknown-number",
        ),
        pytest.param("Restart [3].", LINKS, "Restart [3].", id="unknown-number-plain"),
        pytest.param("Restart [5].", LINKS, "Restart [5].", id="unsafe-url-plain"),
        pytest.param("`[1]`", LINKS, "`[1]`", id="not-inside-code"),
        pytest.param("[note] and [1a]", LINKS, "[note] and [1a]", id="non-numeric-brackets"),
    ],
)
def test_citations(markdown: str, links: dict[int, str] | None, expected: str) -> None:
    assert to_mrkdwn(markdown, links=links) == expected


@_cases(
    ("script-tag", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("comparison", "a < b & c > d", "a &lt; b &amp; c &gt; d"),
    ("channel-mention", "<!channel> 모두 확인", "&lt;!channel&gt; 모두 확인"),
    ("user-mention", "ask <@U123> or <#C456>", "ask &lt;@U123&gt; or &lt;#C456&gt;"),
    ("mention-with-label", "Ping <!here|here> now", "Ping &lt;!here|here&gt; now"),
    ("already-escaped-not-doubled", "&lt;b&gt; R&amp;D", "&lt;b&gt; R&amp;D"),
    ("other-entities-left-alone", "&copy; &nbsp;", "&amp;copy; &amp;nbsp;"),
    ("arrow", "설정 -> 네트워크", "설정 -&gt; 네트워크"),
)
def test_control_characters_are_escaped(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("quote", "> 참고: 재부팅 필요", "> 참고: 재부팅 필요"),
    ("quote-with-list-and-blank", "> 인용\n> - 항목\n>\n> 끝", "> 인용\n> • 항목\n>\n> 끝"),
    ("quote-with-code", "> ```\n> a <b>\n> ```", "> ```\n> a &lt;b&gt;\n> ```"),
    ("quote-ends-at-plain-line", "> a\nb", "> a\nb"),
    (
        "table-as-bullets",
        "| 기능 | 상태 | 담당 |\n|---|:---:|---|\n| **인증** | 완료 | [Alice](https://x.com/a) |\n"
        "| 검색 | 진행 중 | |",
        "• *인증* — 상태: 완료 · 담당: <https://x.com/a|Alice>\n• *검색* — 상태: 진행 중",
    ),
    ("table-single-column", "| Name |\n|------|\n| Alice |\n| Bob |", "• Alice\n• Bob"),
    ("table-empty-first-cell", "| A | B |\n|---|---|\n| | done |", "• B: done"),
    ("table-escaped-pipe", "| A | B |\n|---|---|\n| x \\| y | z |", "• *x | y* — B: z"),
    ("table-header-only", "| A | B |\n|---|---|", "*A · B*"),
    (
        "table-between-paragraphs",
        "결과:\n\n| 항목 | 값 |\n| :-- | --: |\n| 메모리 | 16GB |\n\n끝.",
        "결과:\n\n• *메모리* — 값: 16GB\n\n끝.",
    ),
    ("pipe-in-text-is-not-a-table", "a | b\nnext line", "a | b\nnext line"),
    ("horizontal-rule", "위\n\n---\n\n아래", "위\n\n아래"),
)
def test_quotes_tables_rules(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@_cases(
    ("empty", "", ""),
    ("only-whitespace", "   \n\t\n  ", ""),
    ("paragraphs", "Paragraph one.\n\nParagraph two.", "Paragraph one.\n\nParagraph two."),
    ("blank-runs-collapse", "a\n\n\n\nb", "a\n\nb"),
    ("crlf", "a\r\n\r\nb", "a\n\nb"),
    ("hard-break-spaces-trimmed", "line  \nnext", "line\nnext"),
    ("leading-indent-trimmed", "    indented text", "indented text"),
    (
        "korean-untouched",
        "안녕하세요. 비밀번호를 재설정했습니다!",
        "안녕하세요. 비밀번호를 재설정했습니다!",
    ),
)
def test_text_and_whitespace(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


def test_a_whole_answer() -> None:
    answer = (
        "## VPN 연결 오류\n\n"
        "**GlobalProtect**를 다시 시작하세요 [1].\n\n"
        "1. 트레이 아이콘 → *Disconnect*\n"
        "2. `C:\\Program Files\\GP` 확인\n"
        "   - 로그는 `PanGPS.log` & <logs> 폴더\n\n"
        "자세한 내용은 [VPN 가이드](https://kb.example.com/vpn_guide)를 보세요."
    )
    assert to_mrkdwn(answer, links={1: "https://kb.example.com/1"}) == (
        "*VPN 연결 오류*\n\n"
        "*GlobalProtect*를 다시 시작하세요 <https://kb.example.com/1|[1]>.\n\n"
        "1. 트레이 아이콘 → _Disconnect_\n"
        "2. `C:\\Program Files\\GP` 확인\n"
        "    ◦ 로그는 `PanGPS.log` &amp; &lt;logs&gt; 폴더\n\n"
        "자세한 내용은 <https://kb.example.com/vpn_guide|VPN 가이드>를 보세요."
    )


def test_very_long_text_is_not_truncated() -> None:
    paragraph = "**굵게** 텍스트와 [링크](https://x.com) 그리고 `code` " * 2000
    expected = "*굵게* 텍스트와 <https://x.com|링크> 그리고 `code` " * 2000
    assert to_mrkdwn(paragraph) == expected.rstrip()


HOSTILE = [
    "<!channel> <!here> <!everyone> <@U123> <#C1> <!subteam^S1|@ops>",
    "<script>x</script> <img src=x onerror=y> a<b>c",
    "[<!channel>](https://x.com) [x](javascript:<b>) <javascript:alert(1)>",
    "`<@U1>` ```<!here>``` **<@U2>** _<!channel>_ ~~<#C9>~~",
    "> <!channel>\n- <@U1>\n# <!here>\n| <a> | <b> |\n|---|---|\n| <c> | <d> |",
]


@pytest.mark.parametrize("markdown", HOSTILE)
def test_no_markup_in_an_answer_reaches_slack_as_a_control_sequence(markdown: str) -> None:
    # Every `<` left in the output must open a link this module made itself
    for opening in re.finditer("<", to_mrkdwn(markdown)):
        tail = to_mrkdwn(markdown)[opening.start() :]
        assert tail.startswith(("<https://", "<http://", "<mailto:")), tail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("*bold* 한글", "*bold* 한글"),
        ("&amp;", "&amp;amp;"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://kb.example.com/a", "VPN 가이드", "<https://kb.example.com/a|VPN 가이드>"),
        ("https://x.com/?a=1&b=2", "A & B", "<https://x.com/?a=1&amp;b=2|A &amp; B>"),
        ("https://x.com", "a|b <c>", "<https://x.com|a¦b &lt;c&gt;>"),
        ("https://x.com", "", "<https://x.com>"),
        ("  https://x.com  ", "two\nlines", "<https://x.com|two lines>"),
        ("HTTPS://X.COM", "upper", "<HTTPS://X.COM|upper>"),
        ("/kb/relative", "상대 경로", "상대 경로"),
        ("javascript:alert(1)", "", "javascript:alert(1)"),
        ("file:///C:/share/a.pdf", "<공유>", "&lt;공유&gt;"),
        ("https://", "empty host", "empty host"),
    ],
)
def test_link(url: str, text: str, expected: str) -> None:
    assert link(url, text) == expected


def test_importing_needs_no_slack_sdk() -> None:
    code = "import sys, bot.slack.mrkdwn; print(sorted(m for m in sys.modules if 'slack_' in m))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
