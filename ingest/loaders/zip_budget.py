"""Zip-based documents (DOCX; HWPX next): refuse a decompression bomb before a parser opens it.

A zip's central directory declares every member's uncompressed size. :func:`check_zip` reads that
directory first and refuses an archive that declares more than the budget in all, that has a
large member compressed absurdly well (a bomb's zeros deflate about 1,000 to 1; Word's XML 5 to
100), or that has more members than any real document.

Declared sizes can lie, so :func:`check_zip` then inflates every member once, 1 MB at a time,
before the parser does: CPython's zipfile cuts a member at its declared size and fails the CRC
check ("Bad CRC-32") when more data follows. A parser cannot be trusted with a liar: zipfile's
``read()`` of a whole member inflates up to 1 GB in one step before cutting it. The loader
sandbox's memory limit (:mod:`ingest.sandbox`) is the second line, for parsers that blow up
XML in memory.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from ingest.articles import LoaderError

MB = 1_048_576
_SHOWN_NAME = 60
_PIECE = MB  # how much of a member is inflated at a time


@dataclass(frozen=True)
class ZipBudget:
    """How far one zip-based document may expand."""

    max_unpacked_bytes: int = 100 * MB
    # A 3,000-row Word table of empty cells compresses about 100 to 1; zeros about 1,000 to 1.
    max_ratio: float = 500.0
    # Small members may compress as well as they like: the ratio only counts from this size.
    ratio_from_bytes: int = MB
    # Word writes about 20 parts, a picture-heavy document a few hundred.
    max_members: int = 2000

    @classmethod
    def from_mb(cls, max_unpacked_mb: float) -> ZipBudget:
        """A budget of ``max_unpacked_mb`` in all, other limits at their defaults."""
        return cls(max_unpacked_bytes=int(max_unpacked_mb * MB))


#: The budget when the caller gives none.
DEFAULT_BUDGET = ZipBudget()


def check_zip(source: IO[bytes], budget: ZipBudget, kind: str) -> None:
    """Refuse (LoaderError) a zip that breaks ``budget`` or lies about its sizes; ``kind``
    ("DOCX") names the format in the reason. Memory stays within one piece of 1 MB."""
    try:
        with zipfile.ZipFile(source) as archive:
            _check_directory(archive.infolist(), budget, kind)
            for member in archive.infolist():
                _inflate(archive, member)
    # ValueError: damaged zip64 fields; RuntimeError: encrypted; NotImplementedError: a method
    # zipfile does not know.
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError, NotImplementedError) as exc:
        raise LoaderError(f"corrupt {kind}: {str(exc) or type(exc).__name__}") from exc


def _check_directory(members: list[zipfile.ZipInfo], budget: ZipBudget, kind: str) -> None:
    """Refuse what the central directory declares beyond ``budget``."""
    if len(members) > budget.max_members:
        raise LoaderError(
            f"{kind} has {len(members)} parts, more than the {budget.max_members} allowed "
            "(refused as a possible zip bomb)"
        )
    _check_total(members, budget, kind)
    for member in members:
        _check_ratio(member, budget, kind)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Inflate one member piece by piece (BadZipFile when it holds more than it declares)."""
    with archive.open(member) as data:
        while data.read(_PIECE):
            pass


def _check_total(members: list[zipfile.ZipInfo], budget: ZipBudget, kind: str) -> None:
    """Refuse an archive that declares more than the budget in all."""
    total = sum(member.file_size for member in members)
    if total > budget.max_unpacked_bytes:
        raise LoaderError(
            f"{kind} expands to more than {budget.max_unpacked_bytes / MB:g} MB "
            f"({total / MB:.0f} MB declared; refused as a possible zip bomb)"
        )


def _check_ratio(member: zipfile.ZipInfo, budget: ZipBudget, kind: str) -> None:
    """Refuse a large member that compresses better than any real content does."""
    if member.file_size < budget.ratio_from_bytes:
        return
    ratio = member.file_size / max(member.compress_size, 1)
    if ratio > budget.max_ratio:
        name = member.filename[:_SHOWN_NAME]
        raise LoaderError(
            f"{kind} part {name!r} expands {ratio:.0f} times, more than the "
            f"{budget.max_ratio:g} allowed (refused as a possible zip bomb)"
        )
