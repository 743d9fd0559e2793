"""The one client the bot uses: LangChain's ChatOpenAI against any OpenAI-compatible endpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Protocol

import httpx
import openai

from llm_server.engines import is_ready, model_label
from llm_server.settings import LLMSettings

Message = tuple[str, str]  # (role, content): role is system | user | assistant


class LLMUnavailable(RuntimeError):
    """The endpoint is down, timed out or answered with an error."""


class ChatModel(Protocol):
    """What the Desk needs from a chat model (the real client and scripted fakes)."""

    name: str

    def available(self) -> bool:
        """Whether the model can take a request right now (cheap; may be cached)."""
        ...

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply to ``messages``."""
        ...

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """The reply to ``messages`` piece by piece."""
        ...


class OpenAIChatModel:
    """``ChatModel`` over an OpenAI-compatible API (vLLM, llama.cpp, or a remote server)."""

    def __init__(self, settings: LLMSettings, probe_every_s: float = 2.0):
        self.settings = settings
        self.name = model_label(settings)
        self._probe_every = probe_every_s
        self._probed_at = -1e9
        self._ready = False
        self._llm = None

    def _client(self):
        if self._llm is None:
            from langchain_openai import ChatOpenAI

            s = self.settings
            self._llm = ChatOpenAI(
                base_url=s.api_base,
                api_key=s.api_key or "not-needed",
                model=s.served_model_name,
                timeout=s.timeout_s,
                max_retries=s.max_retries,
                temperature=s.temperature,
                max_tokens=s.max_tokens,
            )
        return self._llm

    def available(self) -> bool:
        """Probe ``/models`` at most every ``probe_every_s`` seconds."""
        now = time.monotonic()
        if now - self._probed_at >= self._probe_every:
            self._ready = is_ready(self.settings.api_base, self.settings.api_key, timeout=1.0)
            self._probed_at = now
        return self._ready

    def mark_down(self) -> None:
        """Remember a failure so that the next questions skip the model until the next probe."""
        self._ready = False
        self._probed_at = time.monotonic()

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply; raises ``LLMUnavailable`` on any transport or server error."""
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Reply tokens as they arrive; raises ``LLMUnavailable`` on any error."""
        llm = self._client()
        limit = max_tokens or self.settings.max_tokens
        # LangChain sends max_completion_tokens, which llama.cpp's server ignores: send both.
        extra = {"max_tokens": limit}
        try:
            for chunk in llm.stream(messages, max_tokens=limit, extra_body=extra):
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    yield text
        except Exception as err:  # openai/httpx errors of every kind: no answer from the model
            if endpoint_failed(err):
                self.mark_down()
            raise LLMUnavailable(f"{type(err).__name__}: {err}") from err


def endpoint_failed(err: BaseException) -> bool:
    """Whether ``err`` says the endpoint itself is failing (no connection, a timeout, a 5xx),
    not that one request was refused (a 400 for an over-long context, a 422): only the first
    kind switches every user to extractive answers until the next probe."""
    if isinstance(err, openai.APIStatusError):
        return err.status_code >= 500
    return isinstance(err, openai.APIConnectionError | httpx.TransportError)


class BoundedChatModel:
    """A ``ChatModel`` that lets at most ``limit`` requests reach ``model`` at once and refuses
    the next one at once (``LLMUnavailable``, so the Desk answers extractively) instead of queuing
    it behind slow generations."""

    def __init__(self, model: ChatModel, limit: int) -> None:
        self.model = model
        self.name = model.name
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def available(self) -> bool:
        """Whether the model is up (a free slot is only known when a request asks for it)."""
        return self.model.available()

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply, or ``LLMUnavailable`` when every slot is taken."""
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """The reply piece by piece, holding one slot until it ends or is abandoned."""
        if not self._slots.acquire(blocking=False):
            raise LLMUnavailable(f"busy: {self.limit} LLM requests already in flight")
        try:
            yield from self.model.stream(messages, max_tokens)
        finally:
            self._slots.release()
