"""Model preparation, engine processes and settings of llm_server, without a real model."""

from __future__ import annotations

import hashlib
import sys
import textwrap

import pytest
from pydantic import ValidationError

from llm_server.engines import EngineError, EngineProcess, is_ready, llamacpp_engine
from llm_server.models import ModelError, ShippedModel, prepare_gguf
from llm_server.settings import LLMSettings
from tests.conftest import free_port

pytestmark = pytest.mark.unit


def _parts(tmp_path, monkeypatch, chunks: list[bytes], prefix: str) -> None:
    """Installed-looking chunk packages ``prefix1..N`` each holding ``data/partNN.bin``."""
    site = tmp_path / "site"
    for n, data in enumerate(chunks, start=1):
        pkg = site / f"{prefix}{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))


def _model(prefix: str, chunks: list[bytes], sha: str | None) -> ShippedModel:
    return ShippedModel("tiny", "Tiny", prefix.replace("_", "-"), "1.0", len(chunks), sha, "t.gguf")


def test_chunks_are_concatenated_in_order_and_verified(tmp_path, monkeypatch) -> None:
    chunks = [b"GGUF-head-", b"middle-", b"tail"]
    _parts(tmp_path, monkeypatch, chunks, "sdtest_ok_part")
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    registry = {"tiny": _model("sdtest_ok_part", chunks, sha)}
    path = prepare_gguf("tiny", tmp_path / "models", registry)
    assert path.read_bytes() == b"GGUF-head-middle-tail"
    # Prepared once: a second call trusts the stamp and does not rewrite the file.
    before = path.stat().st_mtime_ns
    assert prepare_gguf("tiny", tmp_path / "models", registry) == path
    assert path.stat().st_mtime_ns == before


def test_checksum_mismatch_is_refused_and_leaves_no_model(tmp_path, monkeypatch) -> None:
    chunks = [b"corrupted", b"bytes"]
    _parts(tmp_path, monkeypatch, chunks, "sdtest_bad_part")
    registry = {"tiny": _model("sdtest_bad_part", chunks, "0" * 64)}
    with pytest.raises(ModelError, match="checksum mismatch"):
        prepare_gguf("tiny", tmp_path / "models", registry)
    assert not list((tmp_path / "models").glob("*.gguf*"))


def test_a_start_that_may_not_install_refuses_a_missing_model_without_running_pip(
    tmp_path,
) -> None:
    # The packages are not importable: allowed to install, pip would run and fail to find them
    # ("could not install"); not allowed, the start says what to run instead.
    registry = {"tiny": _model("sdtest_absent_part", [b"a", b"b"], None)}
    with pytest.raises(ModelError, match=r"not prepared .* llm prepare"):
        prepare_gguf("tiny", tmp_path / "models", registry, install=False)
    assert not (tmp_path / "models" / "t.gguf").exists()


def test_a_prepared_model_starts_without_installing(tmp_path, monkeypatch) -> None:
    chunks = [b"GGUF-", b"built"]
    _parts(tmp_path, monkeypatch, chunks, "sdtest_built_part")
    registry = {"tiny": _model("sdtest_built_part", chunks, None)}
    path = prepare_gguf("tiny", tmp_path / "models", registry)  # what the image build runs
    assert prepare_gguf("tiny", tmp_path / "models", registry, install=False) == path


_FAKE_SERVER = textwrap.dedent(
    """
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == "/v1/models"
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(b'{"data": []}')
        def log_message(self, *a):
            pass
    print("fake engine up", flush=True)
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """
)


def test_engine_process_waits_until_the_api_answers_and_stops(tmp_path) -> None:
    script = tmp_path / "fake_engine.py"
    script.write_text(_FAKE_SERVER)
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    engine = EngineProcess(
        "fake", [sys.executable, str(script), str(port)], base, tmp_path / "e.log"
    )
    assert not is_ready(base)
    engine.start().wait_ready(timeout=20)
    assert is_ready(base) and engine.alive()
    engine.stop()
    assert not engine.alive() and not is_ready(base)
    assert "fake engine up" in engine.log_tail()


def test_engine_that_dies_at_start_reports_its_log(tmp_path) -> None:
    argv = [sys.executable, "-c", "import sys; print('no such model file'); sys.exit(3)"]
    engine = EngineProcess("broken", argv, f"http://127.0.0.1:{free_port()}/v1", tmp_path / "b.log")
    with pytest.raises(EngineError, match="exited with code 3") as err:
        engine.start().wait_ready(timeout=20)
    assert "no such model file" in str(err.value)


def test_llamacpp_command_serves_the_configured_gguf(tmp_path) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    settings = LLMSettings(gguf_path=gguf, port=9123, n_threads=3, api_key="s3cret")
    engine = llamacpp_engine(settings, tmp_path)
    argv = " ".join(engine.argv)
    assert "-m llama_cpp.server" in argv and f"--model {gguf}" in argv
    assert "--port 9123" in argv and "--n_threads 3" in argv
    assert "s3cret" not in argv and engine.env == {"API_KEY": "s3cret"}  # the key by environment
    assert engine.api_base == "http://127.0.0.1:9123/v1"


def test_settings_are_validated_at_start() -> None:
    with pytest.raises(ValidationError, match="needs SERVICEDESK_LLM_BASE_URL"):
        LLMSettings(engine="external")
    with pytest.raises(ValidationError):
        LLMSettings(gpu_memory_utilization=1.5)
    assert LLMSettings(engine="external", base_url="http://gpu:8000/v1/").api_base == (
        "http://gpu:8000/v1"
    )


def test_answers_record_the_model_really_served_not_the_alias(tmp_path) -> None:
    from llm_server.client import OpenAIChatModel

    assert OpenAIChatModel(LLMSettings()).name == "Qwen2.5-Coder-0.5B-Instruct Q4_K_M"
    assert OpenAIChatModel(LLMSettings(model_size="1.5b")).name.startswith("Qwen2.5-Coder-1.5B")
    vllm = LLMSettings(engine="vllm", hf_model="Qwen/Qwen2.5-7B-Instruct")
    assert OpenAIChatModel(vllm).name == "Qwen/Qwen2.5-7B-Instruct"
    remote = LLMSettings(engine="external", base_url="http://gpu:8000/v1", served_model_name="x")
    assert OpenAIChatModel(remote).name == "x"
