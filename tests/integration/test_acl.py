"""Access control in the dense index: fast unfiltered path and filtered fallback both hold."""

from __future__ import annotations

import pytest

from retrieval.schema import ArticleEntry, Chunk
from tests.conftest import make_kb

pytestmark = pytest.mark.integration


def test_restricted_chunks_crowding_the_top_never_leak(tmp_path) -> None:
    kb = make_kb(tmp_path)
    secret = ArticleEntry("SECRET", "서버실 출입", "s.md", "ko", "h", allowed_groups=["it-staff"])
    public = ArticleEntry("PUBLIC", "출입 카드", "p.md", "ko", "h")
    kb.upsert(
        secret,
        [Chunk("SECRET", i, "", f"서버실 출입 절차 {i}단계", secret.title) for i in range(6)],
    )
    kb.upsert(
        public,
        [Chunk("PUBLIC", i, "", f"사원증 출입 카드 분실 {i}", public.title) for i in range(3)],
    )
    vector = kb.embedder.embed_query("서버실 출입 절차")
    # The unfiltered top 4 are all restricted: the filtered fallback must still fill k.
    hits = kb.dense.search(vector, 2, frozenset())
    assert [h[0].split("#")[0] for h in hits] == ["PUBLIC", "PUBLIC"]
    staff = kb.dense.search(vector, 2, frozenset({"it-staff"}))
    assert all(h[0].startswith("SECRET") for h in staff)
    assert len(kb.dense.search(vector, 20, frozenset({"finance"}))) == 3
