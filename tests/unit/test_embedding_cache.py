"""The passage embedding cache: one file shared by knowledge bases, threads and processes."""

from __future__ import annotations

import threading

import pytest

from retrieval.embedding_cache import CachedEmbeddings
from retrieval.hash_embedder import HashEmbeddings
from retrieval.settings import RetrievalSettings

pytestmark = pytest.mark.unit


def test_a_second_cache_on_the_same_file_embeds_nothing_again(tmp_path) -> None:
    path = tmp_path / "cache" / "vectors.sqlite3"
    first = CachedEmbeddings(HashEmbeddings(), path)
    vectors = first.embed_documents(["vpn drops", "printer jams", "vpn drops"])
    inner = HashEmbeddings()
    again = CachedEmbeddings(inner, path)
    assert again.embed_documents(["printer jams", "vpn drops"]) == [vectors[1], vectors[0]]
    assert inner.calls == 0 and again.hits == 2


def test_vectors_are_kept_apart_per_embedder(tmp_path) -> None:
    path = tmp_path / "vectors.sqlite3"
    CachedEmbeddings(HashEmbeddings(dim=8, name="small"), path).embed_documents(["vpn"])
    other = HashEmbeddings(dim=16, name="large")
    assert len(CachedEmbeddings(other, path).embed_documents(["vpn"])[0]) == 16
    assert other.calls == 1


def test_writers_sharing_a_new_cache_file_all_succeed(tmp_path) -> None:
    # Each cache has its own connection, as separate processes would: they race to create the
    # file, switch it to WAL and write overlapping keys.
    path = tmp_path / "shared.sqlite3"
    texts = [f"question {i}" for i in range(60)]
    results, errors = {}, []

    def write(who: int) -> None:
        try:
            cache = CachedEmbeddings(HashEmbeddings(), path)
            for start in range(0, 60, 7):
                cache.embed_documents(texts[(start + who) % 50 : (start + who) % 50 + 10])
            results[who] = cache.embed_documents(texts)
        except Exception as err:  # reported below, with the thread's number
            errors.append((who, err))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 4 and all(r == results[0] for r in results.values())


def test_the_cache_lives_in_the_data_folder_unless_placed_elsewhere(tmp_path) -> None:
    default = RetrievalSettings(_env_file=None, data_dir=tmp_path, embedding_cache="")
    assert default.embedding_cache_path == tmp_path / "cache" / "embeddings.sqlite3"
    shared = tmp_path / "shared" / "vectors.sqlite3"
    placed = RetrievalSettings(_env_file=None, data_dir=tmp_path, embedding_cache=shared)
    assert placed.embedding_cache_path == shared
