"""Prompt templates as plain Jinja2 files, loaded by name and versioned by their content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from jinja2 import Environment, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


class PromptNotFound(KeyError):
    """No template of that name."""


@dataclass(frozen=True)
class Prompt:
    """One template: its name, source text and version (first 10 hex of its SHA-256)."""

    name: str
    source: str

    @cached_property
    def version(self) -> str:
        """``name@hash``: changes whenever a byte of the template changes."""
        return f"{self.name}@{hashlib.sha256(self.source.encode()).hexdigest()[:10]}"

    def render(self, **values) -> str:
        """Fill the template; a missing value is an error, never an empty string."""
        env = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
        return env.from_string(self.source).render(**values).strip()


class PromptLibrary:
    """The templates of one folder (the bundled ones by default)."""

    def __init__(self, folder: Path = TEMPLATES):
        self.folder = folder
        self._cache: dict[str, Prompt] = {}

    def names(self) -> list[str]:
        """Names of every template in the folder."""
        return sorted(p.stem for p in self.folder.glob("*.j2"))

    def get(self, name: str) -> Prompt:
        """The template called ``name`` (file ``NAME.j2``)."""
        if name not in self._cache:
            path = self.folder / f"{name}.j2"
            if not path.is_file():
                raise PromptNotFound(f"no prompt {name!r} in {self.folder}")
            self._cache[name] = Prompt(name, path.read_text(encoding="utf-8"))
        return self._cache[name]

    def version(self, *names: str) -> str:
        """The combined version of several templates used together, e.g. system + answer."""
        return "+".join(self.get(n).version for n in names)
