"""The live site the browser tests drive: a small real knowledge base, a real SQLite store with
three accounts and a little history, and the real app under uvicorn on a free port (built by
``tests.sites``)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from bot.settings import SAMPLE_KB
from bot.store import SqlStore
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account, Feedback, TicketDraft, TurnRecord, utcnow
from ingest.pipeline import Ingestor
from retrieval.knowledge_base import KnowledgeBase
from tests.conftest import QUIET, make_kb
from tests.fakes import FakeClock, FixedTriage
from tests.sites import Site, build_site, site_config

SAMPLES = [
    "network/vpn-ko.md",
    "network/vpn-en.md",
    "account/password-reset-lockout-ko.md",
    "account/password-reset-lockout-en.md",
]
PASSWORDS = {"employee": "employee-pw-1", "agent": "agent-pw-1", "admin": "admin-pw-1"}
NAMES = {"employee": "김하늘", "agent": "Jordan Lee", "admin": "Min Park"}
XSS_ID = "KB-XSS-TEST"
# An article whose text looks like markup: every page must show it as text and run none of it.
XSS_ARTICLE = f"""---
id: {XSS_ID}
title: Zebrafax paste guide <script>window.__pwned = 3</script>
tags: [zebrafax]
lang: en
---
# Zebrafax paste guide

When the Zebrafax console shows <script>window.__pwned = 1</script> in a ticket, the agent pasted
raw HTML. Pictures pasted as <img src=x onerror="window.__pwned = 2"> never load in Zebrafax.
Paste plain text into Zebrafax instead, or attach a screenshot file.
"""
MD_ID = "KB-MD-TEST"
# An article whose sentences carry inline code and markup: the chat renders the answer's code
# spans, bullets and citation markers, and the markup stays text.
MD_SENTENCES = [  # one a line: the extractive answer quotes each whole
    "When Wombatnet pages stop loading, run `ipconfig /flushdns` to flush the Wombatnet DNS cache.",
    "If Wombatnet still shows <script>window.__pwned = 4</script> or"
    ' <img src=x onerror="window.__pwned = 5">, run `wombat --reset`.',
]
MD_BODY = "\n".join(MD_SENTENCES)
MD_ARTICLE = f"""---
id: {MD_ID}
title: Wombatnet DNS cache <b>flush</b>
tags: [wombatnet]
lang: en
---
# Wombatnet DNS cache flush

{MD_BODY}
"""


def build_kb(root: Path) -> KnowledgeBase:
    """Ingest a handful of sample articles and the markup-laden and Markdown test articles."""
    source = root / "kb_source"
    for rel in SAMPLES:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / rel, source / rel)
    (source / "zebrafax.md").write_text(XSS_ARTICLE, encoding="utf-8")
    (source / "wombatnet.md").write_text(MD_ARTICLE, encoding="utf-8")
    kb = make_kb(root / "data")
    report = Ingestor(kb, QUIET).run([source])
    assert report.ok, [f.line() for f in report.failures]
    return kb


def start_site(root: Path) -> Site:
    """Build the knowledge base and the store, then serve the app; wait until it listens."""
    kb = build_kb(root)
    config = site_config(
        kb.settings.data_dir,
        database_url=f"sqlite:///{root / 'desk.db'}",
        triage_backend="classifier",
        session_secret="browser-tests-" + "s" * 32,
    )
    # The store's clock, movable so the seeded history lies in the past; tickets are drafted by
    # a fixed triage (network, its group), as the classifier would for the VPN question asked.
    site = build_site(config, kb=kb, clock=FakeClock(), triage=FixedTriage())
    for name, password in PASSWORDS.items():
        account = Account(name, name, display_name=NAMES[name])  # type: ignore[arg-type]
        site.store.add_account(account, hash_password(password))
    seed_history(site.store)
    return site.serve()


ANSWERED = {
    "decision": "answered",
    "retrieved": ["KB-VPN-001-en"],
    "citations": [{"article_id": "KB-VPN-001-en"}],
}
DECLINED = {"decision": "declined", "retrieved": [], "citations": []}
# (days ago, channel, user, question, answer, feedback, ticket priority or None)
HISTORY = [
    (26, "web", "emp-lee", "VPN keeps dropping", ANSWERED, "resolved", None),
    (19, "slack", "emp-choi", "비밀번호를 잊어버렸어요", ANSWERED, "helpful", None),
    (17, "web", "emp-kang", "How do I get a parking permit?", DECLINED, None, "P4"),
    (12, "web", "emp-jung", "VPN 인증서 오류가 나요", ANSWERED, "not_helpful", "P3"),
    (5, "slack", "emp-yoon", "계정이 잠겼어요", ANSWERED, "resolved", None),
    (2, "web", "emp-han", "Can I expense a standing desk?", DECLINED, None, "P3"),
]


def seed_history(store: SqlStore) -> None:
    """Add a few weeks of conversations, votes and tickets, so the dashboard and queue show data."""
    clock = store.clock
    try:
        for days, channel, user, question, answer, verdict, priority in HISTORY:
            clock.offset = timedelta(days=-days)
            when = utcnow() - timedelta(days=days)
            conv = store.start_conversation(channel, user)
            store.add_turn(conv.id, TurnRecord("user", question, created_at=when))
            store.add_turn(conv.id, TurnRecord("assistant", "...", answer=answer, created_at=when))
            if verdict:
                store.add_feedback(
                    Feedback(conv.id, user, verdict, channel=channel, created_at=when)
                )
            if priority:
                draft = TicketDraft(
                    question, f"{user}: {question}", "other", priority, "Service Desk"
                )
                store.file_ticket(conv.id, draft, user, channel, f"seed-{conv.id}")
    finally:
        clock.offset = timedelta(0)
