"""Answers show as formatted text (code, lists, citation links) built without HTML parsing, so
markup inside an answer or a source stays text; earlier conversations are listed beside the chat."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import ask, sign_in
from tests.browser.site import MD_ID

pytestmark = pytest.mark.browser

QUESTION = "How do I fix Wombatnet pages that stop loading?"
ANSWER_SCRIPT = "<script>window.__pwned = 4</script>"
ANSWER_IMG = '<img src=x onerror="window.__pwned = 5">'

CITE = (
    '<a class="cite" href="/articles/KB-1" data-testid="citation-link" data-n="1"'
    ' target="_blank" rel="noopener" title="Source one">[1]</a>'
)
# (Markdown, the HTML the renderer builds): read back through innerHTML, never written with it.
CASES = [
    ("Run `ipconfig /flushdns` now.", "<p>Run <code>ipconfig /flushdns</code> now.</p>"),
    ("- one\n- two", "<ul><li>one</li><li>two</li></ul>"),
    ("* star\n+ plus", "<ul><li>star</li><li>plus</li></ul>"),
    ("1. one\n2. two", "<ol><li>one</li><li>two</li></ol>"),
    ("3) three\n4) four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("- bullet\n1. number", "<ul><li>bullet</li></ul><ol><li>number</li></ol>"),
    ("- item\n  continued\nafter", "<ul><li>item<br>continued</li></ul><p>after</p>"),
    ("line one\nline two\n\nnext", "<p>line one<br>line two</p><p>next</p>"),
    ("## Steps\nDo it.", "<h4>Steps</h4><p>Do it.</p>"),
    (
        "**Bold**, **`code` in it**",
        "<p><strong>Bold</strong>, <strong><code>code</code> in it</strong></p>",
    ),
    ("**not closed yet", "<p>**not closed yet</p>"),
    ("See [1] and [2].", f"<p>See {CITE} and [2].</p>"),
    ("**Reset it [1]**", f"<p><strong>Reset it {CITE}</strong></p>"),
    ("`[1]` stays code", "<p><code>[1]</code> stays code</p>"),
    ("``a ` tick``", "<p><code>a ` tick</code></p>"),
    (
        "```sh\necho <b>hi</b> [1]\n```\nafter",
        '<pre><code data-lang="sh">echo &lt;b&gt;hi&lt;/b&gt; [1]</code></pre><p>after</p>',
    ),
    ("```\nstill streaming", "<pre><code>still streaming</code></pre>"),
    ("a & b < c", "<p>a &amp; b &lt; c</p>"),
    ("<script>window.__pwned=1</script>", "<p>&lt;script&gt;window.__pwned=1&lt;/script&gt;</p>"),
    (
        '<img src=x onerror="window.__pwned=2">',
        '<p>&lt;img src=x onerror="window.__pwned=2"&gt;</p>',
    ),
    (
        "`<img src=x onerror=window.__pwned=3>`",
        "<p><code>&lt;img src=x onerror=window.__pwned=3&gt;</code></p>",
    ),
    ("- <svg onload=window.__pwned=6>", "<ul><li>&lt;svg onload=window.__pwned=6&gt;</li></ul>"),
    ("[click](javascript:window.__pwned=7)", "<p>[click](javascript:window.__pwned=7)</p>"),
    ("", ""),
]

RENDER_ALL = """(cases) => cases.map((text) => {
  const box = document.createElement("div");
  document.body.appendChild(box);  // attached, so anything that could run would run
  const cite = (n) => (n === 1 ? { href: "/articles/KB-1", title: "Source one" } : null);
  window.DeskMarkdown.render(box, text, cite);
  return box.innerHTML;
})"""


def assert_nothing_ran(page: Page) -> None:
    """No injected script ran and no injected element exists."""
    page.wait_for_timeout(300)  # an onerror handler fires once the broken image fails to load
    assert page.evaluate("window.__pwned") is None
    injected = "main img, main svg, main script:not([type='application/json'])"
    expect(page.locator(injected)).to_have_count(0)


def test_the_markdown_subset_renders_as_elements_and_markup_as_text(open_page) -> None:
    page = open_page("en-US")
    page.goto("/login")
    page.add_script_tag(url="/static/markdown.js")
    rendered = page.evaluate(RENDER_ALL, [text for text, _ in CASES])
    assert list(zip([t for t, _ in CASES], rendered, strict=True)) == CASES
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    expect(page.locator("body img, body svg")).to_have_count(0)


def test_an_answer_shows_code_bullets_and_citation_links(open_page) -> None:
    page = open_page("en-US")
    sign_in(page, "employee")
    bubble = ask(page, QUESTION)
    expect(bubble).to_have_attribute("data-decision", "answered")
    text = bubble.get_by_test_id("answer-text")
    expect(text.locator("li code").first).to_have_text("ipconfig /flushdns")
    expect(text.locator("li code", has_text="wombat --reset")).to_have_count(1)
    expect(text.locator("ul > li")).to_have_count(2)
    assert "`" not in text.inner_text()

    first_source = bubble.locator("li[id$='-src-1']").get_by_test_id("source-link")
    expect(first_source).to_have_attribute("href", f"/articles/{MD_ID}")
    cite = text.get_by_test_id("citation-link").first
    expect(cite).to_have_text("[1]")
    expect(cite).to_have_attribute("href", f"/articles/{MD_ID}")  # the first source's article

    # Markup in the answer and in the source's title is shown, not run.
    expect(text).to_contain_text(ANSWER_SCRIPT)
    expect(text).to_contain_text(ANSWER_IMG)
    expect(first_source).to_contain_text("<b>flush</b>")
    expect(bubble.locator("b")).to_have_count(0)
    assert_nothing_ran(page)


def test_earlier_conversations_are_listed_and_resume(open_page) -> None:
    page = open_page("en-US")
    sign_in(page, "employee")
    ask(page, QUESTION)
    conversation = int(parse_qs(urlparse(page.url).query)["c"][0])
    listed = page.get_by_test_id("conversation-list")
    current = listed.locator("a[aria-current=page]")
    expect(current).to_have_attribute("href", f"/?c={conversation}")  # added without a reload
    expect(current).to_contain_text(QUESTION)

    page.get_by_test_id("new-chat").click()
    expect(page.get_by_test_id("answer-bubble")).to_have_count(0)
    link = listed.locator(f"[data-testid=conversation-link][href='/?c={conversation}']")
    expect(link.get_by_test_id("conversation-title")).to_have_text(QUESTION)
    link.click()
    expect(page.get_by_test_id("user-bubble").first).to_have_text(QUESTION)
    answer = page.get_by_test_id("answer-text").first
    expect(answer.locator("code").first).to_have_text("ipconfig /flushdns")  # rendered again
    expect(listed.locator("a[aria-current=page]")).to_have_attribute("href", f"/?c={conversation}")
    assert_nothing_ran(page)
