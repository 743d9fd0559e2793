"""Knowledge gaps: the questions the desk could not settle, grouped by meaning.

A *gap question* is an employee's question the bot declined (the assistant turn after it has
decision ``declined``) or that ended in a ticket (the conversation's first question, when none of
its questions was declined). Questions are embedded by :class:`QuestionVectors` (the knowledge
base's embedder in production, as queries; any ``embed_documents`` fake in unit tests) and
grouped by agglomerative clustering with
average linkage on cosine similarity: two groups join while the *average* similarity between
their members is at least ``similarity``. That rule is deterministic, independent of the order
questions arrive in, and easy to explain ("on average this alike").

Each gap gets a count, up to three examples (the most central first), its languages, how many
were declined and escalated, and a suggested article title: the most central question, cleaned
into a title (no question mark, no polite endings), with the cluster's most frequent key terms.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from bot.insights.outcomes import normalise_question
from bot.text.language import detect_language
from bot.tickets.records import Conversation, Ticket, TicketQuery, TicketStore, utcnow

DEFAULT_SIMILARITY = 0.82
EXAMPLES = 3
_TERM = re.compile(r"[0-9A-Za-z][0-9A-Za-z+#.-]*[0-9A-Za-z+#]|[0-9A-Za-z]|[가-힣]{2,}")
# Korean particles and endings stripped from a word's tail before counting it as a term.
_KO_TAIL = re.compile(
    r"(에서|으로|하고|이랑|까지|부터|에게|한테|이나|이|가|을|를|은|는|에|의|도|로|와|과|만)$"
)
_STOP = {
    "a", "an", "the", "i", "my", "me", "to", "do", "does", "can", "how", "what", "why", "is",
    "it", "in", "on", "of", "for", "and", "or", "not", "with", "get", "be", "am", "are", "you",
    "your", "our", "we", "this", "that", "when", "where", "which", "there", "any", "please",
    "help", "need", "want", "should", "would", "could", "from", "at", "about", "have", "has",
    "어떻게", "하나요", "되나요", "있나요", "없나요", "하면", "해야", "싶어요", "싶습니다",
    "주세요",
    "알려주세요", "방법", "안돼요", "안되요", "됩니다", "합니다", "있어요", "없어요", "무엇",
    "어디", "언제", "왜", "제가", "저는", "우리", "그리고", "근데", "이거", "그거",
}  # fmt: skip
_QUESTION_LEAD = re.compile(
    r"^(how (do|can|should) (i|we)|how to|can (i|we|you)|is it possible to|what is the way to|"
    r"where (do|can) (i|we)|why (can't|cannot|doesn't|does not|won't) (i|my)?|"
    r"please|i need to|i want to)\s+",
    re.IGNORECASE,
)
_KO_ENDING = re.compile(
    r"\s*(어떻게\s*)?(하나요|하면 되나요|해야 하나요|할 수 있나요|되나요|있나요|안 돼요|안돼요|"
    r"안 되나요|알려\s*주세요|방법(이|은)?\s*(뭔가요|있나요|알려주세요)?|해주세요|주세요)$"
)


_KO_HOW = re.compile(r"\s*(어떻게|어디서|어디에서|언제)\s+")


class DocumentEmbedder(Protocol):
    """What gaps and incidents need of an embedder (``TokenAwareEmbeddings`` has it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


class QuestionVectors:
    """Embeds questions for question-to-question similarity, remembering recent ones.

    An embedder with ``embed_query`` embeds each question as a query: e5 models are trained to
    compare queries with queries that way (their ``passage:`` side is ruled by language more than
    meaning). Otherwise ``embed_documents`` is used (the seam fakes implement).
    """

    def __init__(self, embedder: DocumentEmbedder, size: int = 8192):
        self.embedder = embedder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector per text (rows)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                for text, vec in zip(missing, unit_vectors(self._embed(missing)), strict=True):
                    self._vectors[text] = vec
            for text in texts:
                self._vectors.move_to_end(text)
            vectors = np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1))
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
            return vectors

    def _embed(self, texts: list[str]) -> list[list[float]]:
        query = getattr(self.embedder, "embed_query", None)
        if query is None:
            return self.embedder.embed_documents(texts)
        return [list(query(t)) for t in texts]


def question_vectors(embedder) -> QuestionVectors:
    """The embedder wrapped for questions (one wrapper, hence one cache, per embedder)."""
    return embedder if isinstance(embedder, QuestionVectors) else QuestionVectors(embedder)


@dataclass
class GapQuestion:
    """One question the desk could not settle."""

    text: str
    user: str
    channel: str
    at: datetime
    conversation_id: int
    declined: bool = False
    escalated: bool = False


@dataclass
class Gap:
    """A group of similar unsettled questions: what an article could answer."""

    title: str
    count: int
    examples: list[str]
    terms: list[str]
    languages: dict[str, int]
    declined: int
    escalated: int
    users: int
    first_seen: datetime
    last_seen: datetime
    questions: list[str] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        """JSON-ready form (without the full question list)."""
        data = asdict(self)
        data.pop("questions")
        data["first_seen"] = self.first_seen.isoformat()
        data["last_seen"] = self.last_seen.isoformat()
        return data


# -- collecting ------------------------------------------------------------------------------


def gap_questions(
    conversations: Sequence[Conversation], tickets: Sequence[Ticket] = ()
) -> list[GapQuestion]:
    """Return the declined questions and the first question of every escalated conversation."""
    escalated = {t.conversation_id for t in tickets if t.conversation_id is not None}
    out: list[GapQuestion] = []
    for conv in conversations:
        ticketed = bool(conv.ticket_number) or conv.id in escalated
        found: list[GapQuestion] = []
        question = None
        for turn in conv.turns:
            if turn.role == "user":
                question = turn
            elif question and turn.answer and turn.answer.get("decision") == "declined":
                found.append(_question(conv, question.text, question.created_at, declined=True))
                question = None
        first = next((t for t in conv.turns if t.role == "user"), None)
        if ticketed and not found and first is not None:
            found.append(_question(conv, first.text, first.created_at))
        for item in found:
            item.escalated = ticketed
        out.extend(q for q in found if normalise_question(q.text))
    return out


def _question(conv: Conversation, text: str, at: datetime, declined: bool = False) -> GapQuestion:
    return GapQuestion(text.strip(), conv.user, conv.channel, at, conv.id, declined=declined)


# -- clustering ------------------------------------------------------------------------------


def unit_vectors(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    """Return the vectors as rows of unit length (cosine similarity becomes a dot product)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        return arr.reshape(len(vectors), -1)
    return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def cluster_vectors(vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """Group row indices whose average pairwise cosine similarity is at least ``similarity``.

    Average-linkage agglomerative clustering; groups come back largest first, then by their
    first member, members in ascending order (so the result never depends on luck).
    """
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=max(1e-9, 1.0 - similarity),
    )
    distances = np.clip(1.0 - unit_vectors(vectors) @ unit_vectors(vectors).T, 0.0, 2.0)
    labels = model.fit_predict(distances)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def by_centrality(vectors: np.ndarray, members: list[int]) -> list[int]:
    """Return ``members`` most central first (highest mean similarity to the others)."""
    unit = unit_vectors(vectors[members])
    mean = (unit @ unit.T).mean(axis=1)
    order = sorted(range(len(members)), key=lambda i: (-round(float(mean[i]), 6), members[i]))
    return [members[i] for i in order]


# -- titles ----------------------------------------------------------------------------------


def key_terms(texts: Sequence[str], top: int = 3) -> list[str]:
    """Return the words most questions share (stop words and Korean particles removed)."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = {_KO_TAIL.sub("", w) if _is_hangul(w) else w for w in _words(text)}
        counts.update(w for w in words if len(w) > 1 and w not in _STOP)
    shared = [(w, c) for w, c in counts.items() if c >= 2 or len(texts) == 1]
    return [w for w, _ in sorted(shared, key=lambda wc: (-wc[1], wc[0]))[:top]]


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _TERM.findall(text)]


def _is_hangul(word: str) -> bool:
    return bool(word) and "가" <= word[0] <= "힣"


def suggest_title(question: str, limit: int = 80) -> str:
    """Turn a question into an article title: no question mark, polite ending or lead-in."""
    title = " ".join(question.split()).strip(" ?？!.~")
    title = _QUESTION_LEAD.sub("", title)
    shorter = _KO_ENDING.sub("", _KO_HOW.sub(" ", title).strip()).strip(" ?？!.~")
    title = shorter or title
    if len(title) > limit:
        title = title[: limit - 1].rsplit(" ", 1)[0] + "…"
    if any(_is_hangul(c) for c in title):
        return title  # Korean titles keep the employee's spelling ("VPN", "vpn")
    return title[:1].upper() + title[1:]


# -- gaps ------------------------------------------------------------------------------------


def find_gaps(
    questions: Sequence[GapQuestion],
    embedder: DocumentEmbedder | QuestionVectors,
    similarity: float = DEFAULT_SIMILARITY,
    top: int = 20,
) -> list[Gap]:
    """Cluster ``questions`` by meaning; the ``top`` largest gaps, most questions first."""
    if not questions:
        return []
    vectors = question_vectors(embedder)([q.text for q in questions])
    gaps = []
    for members in cluster_vectors(vectors, similarity)[:top]:
        gaps.append(_gap([questions[i] for i in by_centrality(vectors, members)]))
    return sorted(gaps, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.title))


def _gap(ranked: list[GapQuestion]) -> Gap:
    texts = [q.text for q in ranked]
    distinct = list(dict.fromkeys(texts))
    languages = Counter(detect_language(t) for t in texts)
    return Gap(
        title=suggest_title(ranked[0].text),
        count=len(ranked),
        examples=distinct[:EXAMPLES],
        terms=key_terms(texts),
        languages=dict(sorted(languages.items())),
        declined=sum(q.declined for q in ranked),
        escalated=sum(q.escalated for q in ranked),
        users=len({q.user for q in ranked}),
        first_seen=min(q.at for q in ranked),
        last_seen=max(q.at for q in ranked),
        questions=texts,
    )


def knowledge_gaps(
    store: TicketStore,
    embedder: DocumentEmbedder | QuestionVectors,
    days: int = 30,
    similarity: float = DEFAULT_SIMILARITY,
    top: int = 20,
    now: datetime | None = None,
) -> list[Gap]:
    """The knowledge gaps of the last ``days`` days, read from ``store``."""
    since = (now or utcnow()) - timedelta(days=days)
    conversations = store.conversations(since=since, limit=100_000)
    tickets = [t for t in store.tickets(TicketQuery(limit=100_000)) if t.created_at >= since]
    return find_gaps(gap_questions(conversations, tickets), embedder, similarity, top)
