"""docs/configuration.md is generated from the settings classes; links in the docs resolve."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.settings import RetrievalSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "config_reference", ROOT / "scripts" / "config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("config_reference", module)
    spec.loader.exec_module(module)
    return module


ref = _load_script()


class ExampleSettings(BaseSettings):
    """A settings class the way the project writes them."""

    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", env_file=".env", extra="ignore")

    folder: Path = Field(ROOT / "ingest" / "sample_kb", description="where the articles are")
    mode: Literal["socket", "http"] = Field("socket", description="how to connect")
    token: SecretStr = Field(SecretStr(""), description="a secret")
    hours: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"P1": (0.25, 4.0)}, description="per priority"
    )
    port: int = Field(8000, ge=1, le=65535)
    name: str


def test_the_committed_reference_is_current(capsys) -> None:
    assert ref.main(["--check"]) == 0, capsys.readouterr().err


def test_a_field_is_rendered_with_its_variable_type_default_and_description() -> None:
    text = ref.render_class(RetrievalSettings)
    row = (
        "| `SERVICEDESK_CHUNK_TOKENS` | `int`, 32 ≤ x ≤ 512 | `200` "
        "| chunk size in embedder tokens |"
    )
    assert row in text.splitlines()


def test_defaults_come_from_the_class_never_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_CHUNK_TOKENS", "128")
    (tmp_path / ".env").write_text("SERVICEDESK_FUSION=rrf\n")
    monkeypatch.chdir(tmp_path)
    text = ref.render_class(RetrievalSettings)
    assert "| `200` |" in text and "| `convex` |" in text


def test_defaults_are_rendered_as_they_would_be_typed() -> None:
    rows = {row[0]: row for row in ref.rows(ExampleSettings)}
    assert rows["`EXAMPLE_FOLDER`"][1:] == (
        "`path`",
        "`ingest/sample_kb`",
        "where the articles are",
    )
    assert rows["`EXAMPLE_MODE`"][1:3] == ('`"socket" | "http"`', "`socket`")
    assert rows["`EXAMPLE_TOKEN`"][1:3] == ("`secret`", "*empty*")
    assert rows["`EXAMPLE_HOURS`"][2] == '`{"P1": [0.25, 4.0]}`'
    assert rows["`EXAMPLE_PORT`"][1:] == ("`int`, 1 ≤ x ≤ 65535", "`8000`", "")
    assert rows["`EXAMPLE_NAME`"][2] == "*required*"


def test_a_pipe_in_a_cell_does_not_break_the_table() -> None:
    line = next(
        row for row in ref.render_class(ExampleSettings).splitlines() if "EXAMPLE_MODE" in row
    )
    assert line.count(" | ") == 3 and '"socket" \\| "http"' in line


def test_every_settings_class_is_found_without_a_list(tmp_path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "conf.py").write_text(
        "from pydantic_settings import BaseSettings\n\n"
        "class ConfSettings(BaseSettings):\n    x: int = 1\n"
    )
    (tmp_path / "pkg" / "plain.py").write_text("class Thing:\n    pass\n")
    assert ref.settings_modules(tmp_path, ["pkg"]) == ["pkg.sub.conf"]
    found = ref.settings_modules()
    for module in ("bot.settings", "ingest.settings", "llm_server.settings"):
        assert module in found
    names = {cls.__name__ for cls in ref.settings_classes(found)}
    assert {"RetrievalSettings", "IngestSettings", "LLMSettings", "SlackSettings"} <= names


def test_check_names_the_variable_that_drifted(tmp_path, capsys) -> None:
    out = tmp_path / "configuration.md"
    assert ref.main(["--out", str(out)]) == 0
    out.write_text(out.read_text().replace("| `200` |", "| `256` |"))
    assert ref.main(["--check", "--out", str(out)]) == 1
    message = capsys.readouterr().err
    assert message.count("\n") == 1
    assert "SERVICEDESK_CHUNK_TOKENS (RetrievalSettings) changed" in message


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    targets = [m.group(1) for m in LINK.finditer(text)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t)]


@pytest.mark.parametrize(
    "doc",
    [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_every_relative_link_in_the_docs_resolves(doc: Path) -> None:
    missing = []
    for target in _relative_links(doc):
        path, _, anchor = target.partition("#")
        linked = doc.parent / path
        gone = not linked.exists()
        if gone or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            missing.append(target)
    assert not missing, f"{doc.name} links to missing files or headings: {missing}"


def _anchors(page: Path) -> set[str]:
    """Return the anchors GitHub gives the page's headings."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
