"""Deployment hardening read from the sources: weights loaded without pickle, no root in the
image."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["bot", "ingest", "retrieval", "llm_server", "evals", "prompts", "scripts"]


def torch_load_calls() -> list[tuple[Path, ast.Call]]:
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                func = getattr(node, "func", None)
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == "load"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "torch"
                ):
                    calls.append((path, node))
    return calls


def test_every_torch_load_refuses_pickled_code() -> None:
    calls = torch_load_calls()
    assert calls, "the fine-tuned triage loads its weights with torch.load"
    for path, call in calls:
        flags = {k.arg: k.value for k in call.keywords}
        where = f"{path.relative_to(ROOT)}:{call.lineno}"
        assert "weights_only" in flags, f"{where}: pass weights_only=True"
        value = flags["weights_only"]
        assert isinstance(value, ast.Constant) and value.value is True, where


def test_the_image_runs_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = dockerfile.rindex("\nUSER ")
    assert dockerfile.index("\nCMD ") > last_user and dockerfile.index("make install") > last_user
