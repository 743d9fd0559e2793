"""The loader sandbox: PDF, DOCX and HTML are read in a worker process that a file cannot keep
busy, starve of memory or crash without that file, and only that file, failing with a reason.

The worker loads :func:`pathological` (named by its import path, the sandbox's seam): a file's
name says how it misbehaves. This module is imported by the worker, so it imports nothing heavy
at the top.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import SAMPLE_KB
from ingest.articles import Article, LoaderError
from ingest.loaders import ZipBudget, load_file
from ingest.sandbox import LoaderSandbox, SandboxLimits

pytestmark = pytest.mark.integration

PATHOLOGICAL = f"{__name__}:pathological"
SAMPLE_PDF = SAMPLE_KB / "it-security-policy-summary.pdf"


def pathological(path: Path, budget: ZipBudget) -> list[Article]:
    """Misbehave as the file's name says; load anything else for real."""
    if path.stem == "slow":
        time.sleep(3600)
    if path.stem == "spin":
        while True:
            pass
    if path.stem == "hoard":
        hoard = []
        while True:
            hoard.append(bytearray(16 * 1_048_576))
    if path.stem == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if path.stem == "exit":
        os._exit(3)
    if path.stem == "bug":
        raise ValueError("boom")
    return load_file(path, budget)


def sandbox(**limits) -> LoaderSandbox:
    return LoaderSandbox(SandboxLimits(**limits), loader=PATHOLOGICAL)


def touch(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"%PDF-1.4 whatever")
    return path


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped, counts as running)."""
    return Path(f"/proc/{pid}").exists()


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def children() -> set[int]:
    """This process's child processes."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def test_a_file_that_takes_too_long_is_refused_and_its_reader_killed(tmp_path: Path) -> None:
    with sandbox(timeout_s=1) as box:
        box.start()
        pid = box.worker_pid
        started = time.monotonic()
        with pytest.raises(LoaderError, match=r"^took longer than 1 s to read$"):
            box.load(touch(tmp_path, "slow.pdf"))
        assert time.monotonic() - started < 5
        assert box.worker_pid is None and not alive(pid)


def test_a_file_that_spins_is_stopped_by_the_processor_limit(tmp_path: Path) -> None:
    with sandbox(cpu_s=1, timeout_s=60) as box:
        started = time.monotonic()
        with pytest.raises(LoaderError, match=r"^needed more than 1 s of processor time to read$"):
            box.load(touch(tmp_path, "spin.pdf"))
        assert time.monotonic() - started < 20


def test_a_file_that_needs_too_much_memory_is_refused(tmp_path: Path) -> None:
    with sandbox(memory_mb=256) as box:
        with pytest.raises(LoaderError, match=r"^needed more than 256 MB of memory to read$"):
            box.load(touch(tmp_path, "hoard.docx"))
        assert box.worker_pid is None  # a worker that ran out of memory is not trusted again


def test_the_next_file_after_a_failure_gets_a_fresh_reader(tmp_path: Path) -> None:
    with sandbox(timeout_s=1) as box:
        with pytest.raises(LoaderError):
            box.load(touch(tmp_path, "slow.pdf"))
        assert box.load(SAMPLE_PDF) == load_file(SAMPLE_PDF)
        first = box.worker_pid
        box.load(SAMPLE_KB / "printer-troubleshooting.html")
        assert box.worker_pid == first  # one worker for every file while none fails


def test_a_crashing_reader_is_reported(tmp_path: Path) -> None:
    with sandbox() as box:
        with pytest.raises(LoaderError, match=r"^the reader crashed \(SIGSEGV\)$"):
            box.load(touch(tmp_path, "crash.pdf"))
        with pytest.raises(
            LoaderError, match=r"^the reader stopped unexpectedly \(exit status 3\)"
        ):
            box.load(touch(tmp_path, "exit.html"))
        assert box.load(SAMPLE_PDF)


def test_a_loader_bug_fails_that_file_only(tmp_path: Path) -> None:
    with sandbox() as box:
        box.start()
        pid = box.worker_pid
        with pytest.raises(LoaderError, match=r"^unreadable: ValueError: boom$"):
            box.load(touch(tmp_path, "bug.pdf"))
        assert box.worker_pid == pid and box.load(SAMPLE_PDF)


def test_real_documents_read_the_same_in_the_sandbox() -> None:
    names = ["it-security-policy-summary.pdf", "laptop-return-guide.docx"]
    names += ["printer-troubleshooting.html", "faq.csv", "network/vpn-en.md"]
    with LoaderSandbox() as box:
        for name in names:
            assert box.load(SAMPLE_KB / name) == load_file(SAMPLE_KB / name)


def test_plain_text_formats_are_read_without_a_worker() -> None:
    with LoaderSandbox() as box:
        box.load(SAMPLE_KB / "network" / "vpn-en.md")
        box.load(SAMPLE_KB / "faq.csv")
        assert box.worker_pid is None


def test_refusals_from_the_loaders_keep_their_reason(tmp_path: Path) -> None:
    with LoaderSandbox() as box:
        with pytest.raises(LoaderError, match=r"^corrupt PDF: "):
            box.load(touch(tmp_path, "broken.pdf"))
        (tmp_path / "folder.docx").mkdir()
        with pytest.raises(LoaderError, match=r"^unreadable: is a directory$"):
            box.load(tmp_path / "folder.docx")


def test_closing_leaves_no_process_behind() -> None:
    before = children()
    box = LoaderSandbox()
    box.load(SAMPLE_PDF)
    pid = box.worker_pid
    assert pid in children()
    box.close()
    assert not alive(pid) and children() <= before


SCRIPT = """
import sys, time
from ingest.sandbox import LoaderSandbox
box = LoaderSandbox()
box.load(sys.argv[1])
print(box.worker_pid, flush=True)
if sys.argv[2] == "linger":
    time.sleep(3600)
"""


@pytest.mark.parametrize("ending", ["exit", "linger"])
def test_a_program_that_ends_without_closing_leaves_no_reader(ending: str) -> None:
    """Leaving normally ends the worker at exit; being killed ends it through its socket."""
    program = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(SAMPLE_PDF), ending], stdout=subprocess.PIPE, text=True
    )
    worker = int(program.stdout.readline())
    assert alive(worker)
    if ending == "linger":
        program.kill()
    program.wait(30)
    program.stdout.close()
    assert gone_within(worker, 10)


def test_an_ingestion_run_reports_the_bad_files_and_indexes_the_rest(tmp_path: Path) -> None:
    from ingest.pipeline import Ingestor
    from tests.conftest import QUIET, make_kb

    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("slow.pdf", "hoard.docx"):
        touch(folder, name)
    (folder / "policy.pdf").write_bytes(SAMPLE_PDF.read_bytes())
    (folder / "vpn.md").write_bytes((SAMPLE_KB / "network" / "vpn-en.md").read_bytes())
    kb = make_kb(tmp_path / "data")
    before = children()
    with sandbox(timeout_s=2, memory_mb=256) as box:
        report = Ingestor(kb, QUIET, box).run([folder])
    failures = {Path(f.path).name: f.reason for f in report.failures}
    assert failures == {
        "hoard.docx": "needed more than 256 MB of memory to read",
        "slow.pdf": "took longer than 2 s to read",
    }
    assert "policy" in report.added and len(report.added) == 2
    assert children() <= before
    kb.close()


def test_a_run_without_a_sandbox_reads_in_one_of_its_own_and_stops_it(tmp_path: Path) -> None:
    from ingest.pipeline import Ingestor
    from tests.conftest import QUIET, make_kb

    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("it-security-policy-summary.pdf", "laptop-return-guide.docx"):
        (folder / name).write_bytes((SAMPLE_KB / name).read_bytes())
    kb = make_kb(tmp_path / "data")
    before = children()
    report = Ingestor(kb, QUIET).run([folder])
    assert report.ok and len(report.added) == 2
    assert children() <= before
    kb.close()
