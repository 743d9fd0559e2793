"""Zip bombs in DOCX: refused from the central directory before python-docx expands anything."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest

from bot.settings import SAMPLE_KB
from ingest.articles import LoaderError
from ingest.loaders import load_file
from ingest.loaders.zip_budget import MB, ZipBudget, check_zip

pytestmark = pytest.mark.unit

BOMB_MB = 200  # deflates to about 200 KB


def docx_with(path: Path, part: str, size_mb: int, declare: int | None = None) -> Path:
    """Write a real DOCX whose ``part`` is replaced by ``size_mb`` MB of zeros, streamed (never
    held in memory); with ``declare``, its headers claim that many bytes instead (a lying bomb)."""
    blank = io.BytesIO()
    docx.Document().save(blank)
    out = io.BytesIO()
    with zipfile.ZipFile(blank) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            if info.filename != part:
                zf.writestr(info.filename, source.read(info))
        with zf.open(part, "w") as member:
            zeros = bytes(MB)
            for _ in range(size_mb):
                member.write(zeros)
    data = bytearray(out.getvalue())
    if declare is not None:
        declare_size(data, part, declare)
    path.write_bytes(data)
    return path


def declare_size(data: bytearray, name: str, size: int) -> None:
    """Make both of ``name``'s zip headers claim ``size`` uncompressed bytes."""
    encoded = name.encode()
    # (signature, offset of the uncompressed size, offset of the file name)
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = data.find(signature)
        while start != -1:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + size_at, size)
            start = data.find(signature, start + 4)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return docx_with(tmp_path_factory.mktemp("bomb") / "bomb.docx", "word/document.xml", BOMB_MB)


def test_a_docx_bomb_is_refused_before_it_is_expanded(bomb: Path) -> None:
    assert bomb.stat().st_size < 1 * MB  # 200 MB of zeros inside
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(LoaderError) as refused:
            load_file(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reason = str(refused.value)
    assert reason.startswith("DOCX expands to more than 100 MB (201 MB declared")
    assert reason.endswith("refused as a possible zip bomb)")
    assert time.perf_counter() - started < 1.0
    assert peak < 5 * MB  # the file is read; nothing is inflated


def test_the_budget_is_the_callers(tmp_path: Path) -> None:
    sample = SAMPLE_KB / "laptop-return-guide.docx"  # declares about 0.8 MB, mostly styles
    assert load_file(sample)  # the default budget takes a real document
    with pytest.raises(LoaderError, match=r"^DOCX expands to more than 0\.5 MB"):
        load_file(sample, ZipBudget.from_mb(0.5))


def test_a_part_compressed_absurdly_well_is_refused_within_the_budget(tmp_path: Path) -> None:
    small_bomb = docx_with(tmp_path / "dense.docx", "word/document.xml", 20)  # 20 MB < 100 MB
    with pytest.raises(LoaderError) as refused:
        load_file(small_bomb)
    reason = str(refused.value)
    assert reason.startswith("DOCX part 'word/document.xml' expands ")
    assert "more than the 500 allowed (refused as a possible zip bomb)" in reason


def test_small_parts_may_compress_as_well_as_they_like(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/blank.xml", bytes(512 * 1024))  # 500 KB of zeros: ~1,000 to 1
    check_zip(io.BytesIO(archive.getvalue()), ZipBudget(), "DOCX")


def test_an_archive_of_too_many_parts_is_refused(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for number in range(2001):
            zf.writestr(f"part{number}.xml", b"")
    with pytest.raises(LoaderError, match=r"^DOCX has 2001 parts, more than the 2000 allowed"):
        check_zip(io.BytesIO(archive.getvalue()), ZipBudget(), "DOCX")


def test_a_part_that_lies_about_its_size_is_cut_at_the_declared_size(tmp_path: Path) -> None:
    # The headers claim 1 KB; the data inflates to 200 MB. zipfile stops at the declared size and
    # fails the CRC check, so the lie buys nothing and costs no memory.
    liar = docx_with(tmp_path / "liar.docx", "word/document.xml", BOMB_MB, declare=1024)
    tracemalloc.start()
    try:
        with pytest.raises(LoaderError) as refused:
            load_file(liar)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(refused.value) == "corrupt DOCX: Bad CRC-32 for file 'word/document.xml'"
    assert peak < 5 * MB


def test_a_file_that_is_no_zip_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match=r"^corrupt DOCX: File is not a zip file$"):
        check_zip(io.BytesIO(b"PK but not really"), ZipBudget(), "DOCX")
