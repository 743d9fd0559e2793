"""The interface every embedder implements, apart from the models, so that an embedder defined
elsewhere (the ``hash`` one) needs no model code to plug in."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from langchain_core.embeddings import Embeddings


class TokenAwareEmbeddings(Embeddings):
    """An ``Embeddings`` that also knows its name, dimension and how it counts tokens."""

    name: str
    dim: int
    max_tokens: int = 512

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Return how many model tokens ``text`` takes (used to size chunks)."""

    def embed_query_array(self, text: str) -> np.ndarray:
        """Embed one query as a float32 vector."""
        return np.asarray(self.embed_query(text), dtype=np.float32)
