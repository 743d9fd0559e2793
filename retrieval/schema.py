"""What the indexes store: article entries, their chunks, and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleEntry:
    """An indexed article's metadata (its text lives in its chunks)."""

    article_id: str
    title: str
    source: str
    lang: str
    content_hash: str
    tags: list[str] = field(default_factory=list)
    allowed_groups: list[str] = field(default_factory=list)
    owner: str = ""
    updated: str = ""
    chunk_count: int = 0
    indexed_at: str = ""
    origin: str = ""  # the file the article was loaded from (for --prune)

    @property
    def is_public(self) -> bool:
        """Articles without groups are visible to everyone."""
        return not self.allowed_groups

    def visible_to(self, groups: frozenset[str] | set[str] | None) -> bool:
        """Return whether a user in ``groups`` may see this article (``None``: no ACL)."""
        if groups is None or self.is_public:
            return True
        return bool(set(self.allowed_groups) & set(groups))


@dataclass
class Chunk:
    """One indexed piece of an article."""

    article_id: str
    ordinal: int
    section: str
    text: str
    title: str = ""

    @property
    def chunk_id(self) -> str:
        """Stable id: article id and position."""
        return f"{self.article_id}#{self.ordinal}"

    @property
    def indexed_text(self) -> str:
        """The text embedded and keyword-indexed: title and section give the chunk its context."""
        head = " > ".join(p for p in (self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text


@dataclass
class Hit:
    """One search result: the best chunk of one article, with the evidence behind its rank."""

    article_id: str
    title: str
    section: str
    snippet: str
    source: str
    lang: str
    chunk_id: str
    dense_score: float | None
    keyword_score: float | None
    fused_score: float
    confidence: float = 0.0
    rerank_score: float | None = None
    tags: list[str] = field(default_factory=list)
    allowed_groups: list[str] = field(default_factory=list)
    text: str = ""  # the whole chunk the snippet comes from (what an answer is grounded on)

    def to_dict(self) -> dict:
        """Plain JSON-ready form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class User:
    """Who is searching: the groups decide which restricted articles they may see."""

    user_id: str = "anonymous"
    groups: frozenset[str] = frozenset()

    @classmethod
    def with_groups(cls, user_id: str, groups: list[str] | tuple[str, ...] | None) -> User:
        """Build a user from a plain list of group names (blank names ignored)."""
        return cls(user_id, frozenset(g.strip() for g in groups or () if g.strip()))
