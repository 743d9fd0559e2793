"""Settings are read from SERVICEDESK_* variables and validated at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.web.i18n import pick_language
from retrieval.settings import RetrievalSettings

pytestmark = pytest.mark.unit


def test_environment_overrides_defaults(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_EMBEDDER", "use-m3")
    monkeypatch.setenv("SERVICEDESK_KEYWORD_WEIGHT", "2.5")
    s = RetrievalSettings()
    assert s.embedder == "use-m3" and s.keyword_weight == 2.5


@pytest.mark.parametrize(
    "bad",
    [
        {"chunk_tokens": 10},
        {"chunk_tokens": 100, "chunk_overlap": 100},
        {"dense_weight": 0, "keyword_weight": 0},
        {"collection": "x"},
        {"chroma_port": 0},
    ],
)
def test_invalid_values_are_refused(bad) -> None:
    with pytest.raises(ValidationError):
        RetrievalSettings(**bad)


def test_env_file_is_read(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("SERVICEDESK_CHUNK_TOKENS=128\n")
    monkeypatch.chdir(tmp_path)
    assert RetrievalSettings().chunk_tokens == 128


@pytest.mark.parametrize(
    ("explicit", "header", "expected"),
    [
        ("en", "ko-KR", "en"),
        ("", "en-US,en;q=0.9", "en"),
        ("", "ko-KR,ko;q=0.9", "ko"),
        ("", "fr-FR", "ko"),
        ("xx", "", "ko"),
    ],
)
def test_ui_language_choice(explicit, header, expected) -> None:
    assert pick_language(explicit, header) == expected
