"""The pages keep to what the Content Security Policy allows: no inline script, no inline event
handler, no style attribute or element (bot.web.headers forbids them all)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

WEB = Path(__file__).resolve().parents[2] / "bot" / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_handler_or_style(template: Path):
    text = template.read_text(encoding="utf-8")
    for attributes in SCRIPT.findall(text):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert not HANDLER.search(text), HANDLER.search(text)
    assert not STYLE.search(text), STYLE.search(text)


@pytest.mark.parametrize("script", sorted((WEB / "static").glob("*.js")), ids=lambda p: p.name)
def test_static_scripts_neither_evaluate_strings_nor_set_style_attributes(script: Path):
    text = script.read_text(encoding="utf-8")
    assert "eval(" not in text and "new Function" not in text
    assert 'setAttribute("style"' not in text and "setAttribute('style'" not in text


def test_the_checks_catch_what_they_look_for():
    assert SCRIPT.findall("<script>alert(1)</script>") == [""]
    assert HANDLER.search('<form onsubmit="x()">') and STYLE.search('<p style="x">')
    assert STYLE.search("<style>p {}</style>")
