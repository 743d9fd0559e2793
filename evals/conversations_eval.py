"""`servicedesk eval conversations`: scripted multi-turn conversations through the real Desk.

A dataset folder may hold ``conversations.jsonl``, one conversation a line::

    {"id": "...", "lang": "ko", "expect_outcome": "resolved" | "escalated",
     "turns": [{"user": "...", "expect": {"decision": "answered" | "declined",
                                          "cites_any": ["KB-..."], "escalate": false}}]}

(``decision`` may be left out where either is fine, e.g. on the turn saying it did not work.)

Each conversation is played turn by turn with the earlier turns as history, the way the web chat
and the Slack bot pass them (``ConversationService``: the employee's turns masked, the Desk's
answers as shown). The simulated employee presses "Talk to a person" (the turn **escalates**)
when, after an answer, they say it did not work ("안 돼요", "that didn't work"), or when the Desk
declines (offering a ticket) and they have nothing more to say: a decline followed by another
scripted turn is a clarification, not an escalation. The conversation ends at its first
escalation; its outcome is ``escalated`` then, else ``resolved``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.desk.answer import Answer, Turn
from bot.desk.desk import Desk
from bot.settings import BotSettings
from bot.text.pii import mask_pii
from evals.datasets import Dataset, DatasetError, load_dataset
from evals.retrieval_eval import indexed_dataset
from ingest.settings import IngestSettings
from llm_server.client import ChatModel
from retrieval.retriever import HybridRetriever
from retrieval.schema import User
from retrieval.settings import RetrievalSettings

FILE = "conversations.jsonl"
DECISIONS = ("answered", "declined")
OUTCOMES = ("resolved", "escalated")
# What an employee types when the answer did not help: the cue to press "Talk to a person".
_FAILED = re.compile(
    r"did\s?n[o']?t (work|help)|does\s?n[o']?t work|not working|no luck|"
    r"still (not|does|is|won|can)|안\s?돼|안\s?되[네는요어]|안\s?됩니다|해결이?\s?안|그래도|"
    r"여전히|소용\s?없",
    re.IGNORECASE,
)


@dataclass
class ScriptedTurn:
    """One employee message and what the Desk should do with it."""

    user: str
    decision: str | None  # None: either is fine (e.g. the turn that says it did not work)
    cites_any: list[str] = field(default_factory=list)
    escalate: bool = False


@dataclass
class Script:
    """One scripted conversation."""

    id: str
    lang: str
    turns: list[ScriptedTurn]
    expect_outcome: str
    meta: dict = field(default_factory=dict)


@dataclass
class ConversationsRun:
    """Everything measured in one ``eval conversations``."""

    result: dict
    per_question: list[dict]  # one record per conversation (named like the other runs')


def reports_failure(text: str) -> bool:
    """Whether the employee says the previous answer did not work."""
    return bool(_FAILED.search(text))


def load_scripts(dataset: Dataset) -> list[Script]:
    """The conversations of ``dataset`` (``DatasetError`` naming the line when one is wrong)."""
    path = dataset.folder / FILE
    if not path.is_file():
        raise DatasetError(f"{dataset.folder} has no {FILE}")
    scripts = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                scripts.append(_script(json.loads(line)))
            except (ValueError, KeyError, TypeError) as err:
                raise DatasetError(f"{path}:{n}: bad conversation ({err})") from err
    if not scripts:
        raise DatasetError(f"{path} holds no conversations")
    return scripts


def _script(row: dict) -> Script:
    turns = []
    for t in row["turns"]:
        expect = t.get("expect") or {}
        decision = expect.get("decision")
        if decision is not None and decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
        turns.append(
            ScriptedTurn(
                str(t["user"]), decision, list(expect.get("cites_any") or []),
                bool(expect.get("escalate")),
            )
        )  # fmt: skip
    if not turns:
        raise ValueError("a conversation needs at least one turn")
    outcome = row["expect_outcome"]
    if outcome not in OUTCOMES:
        raise ValueError(f"expect_outcome must be one of {OUTCOMES}, not {outcome!r}")
    return Script(str(row["id"]), row.get("lang", ""), turns, outcome, row.get("meta") or {})


def play(desk: Desk, script: Script) -> dict:
    """Play ``script`` against ``desk``; the conversation's record with one entry per turn."""
    history: list[Turn] = []
    user = User.with_groups("eval", script.meta.get("user_groups") or [])
    turns, escalated, answered_before = [], False, False
    for n, spec in enumerate(script.turns, start=1):
        answer = desk.ask(spec.user, user, history)
        last = n == len(script.turns)
        gave_up = not answer.answered and answer.offer_ticket and last
        escalates = gave_up or (answered_before and reports_failure(spec.user))
        turns.append(_turn_record(n, spec, answer, escalates))
        history += [Turn("user", mask_pii(spec.user).text), Turn("assistant", answer.text)]
        answered_before = answer.answered
        if escalates:
            escalated = True
            break
    outcome = "escalated" if escalated else "resolved"
    complete = len(turns) == len(script.turns)
    return {
        "id": script.id,
        "lang": script.lang,
        "expect_outcome": script.expect_outcome,
        "outcome": outcome,
        "turns_played": len(turns),
        "turns_scripted": len(script.turns),
        "ok": complete and outcome == script.expect_outcome and all(t["ok"] for t in turns),
        "turns": turns,
    }


def _turn_record(n: int, spec: ScriptedTurn, answer: Answer, escalates: bool) -> dict:
    cited = answer.cited_ids()
    cites_ok = None
    if spec.cites_any and answer.answered:
        cites_ok = bool(set(cited) & set(spec.cites_any))
    decision_ok = spec.decision is None or answer.decision == spec.decision
    return {
        "turn": n,
        "user": mask_pii(spec.user).text,
        "query": answer.query,
        "decision": answer.decision,
        "expect_decision": spec.decision,
        "confidence": round(answer.confidence, 3),
        "cited": cited,
        "cites_any": spec.cites_any,
        "cites_ok": cites_ok,
        "escalated": escalates,
        "expect_escalate": spec.escalate,
        "ok": decision_ok and cites_ok is not False and escalates == spec.escalate,
        "answer": answer.text,
    }


def score(records: list[dict]) -> dict:
    """Per-turn and per-conversation figures over played conversations."""
    turns = [t for r in records for t in r["turns"]]
    cited = [t for t in turns if t["cites_ok"] is not None]
    follow = [t for t in cited if t["turn"] > 1]
    expected_esc = [r for r in records if r["expect_outcome"] == "escalated"]
    escalated = [r for r in records if r["outcome"] == "escalated"]
    both = [r for r in expected_esc if r["outcome"] == "escalated"]
    return {
        "conversations": len(records),
        "turns": len(turns),
        "conversation_success": _share([r["ok"] for r in records]),
        "outcome_accuracy": _share([r["outcome"] == r["expect_outcome"] for r in records]),
        "turn_accuracy": _share([t["ok"] for t in turns]),
        "decision_accuracy": _share(
            [t["decision"] == t["expect_decision"] for t in turns if t["expect_decision"]]
        ),
        "citation_accuracy": _share([t["cites_ok"] for t in cited]),
        "followup_citation_accuracy": _share([t["cites_ok"] for t in follow]),
        "escalation_recall": len(both) / len(expected_esc) if expected_esc else None,
        "escalation_precision": len(both) / len(escalated) if escalated else None,
    }


def _share(flags: list) -> float | None:
    return sum(bool(f) for f in flags) / len(flags) if flags else None


def run_conversations_eval(
    dataset: Dataset,
    settings: RetrievalSettings,
    bot_settings: BotSettings,
    chat: ChatModel | None,
    ingest_settings: IngestSettings,
    workdir: Path | None = None,
) -> ConversationsRun:
    """Index ``dataset``'s KB like ``eval run`` does and play every scripted conversation."""
    scripts = load_scripts(dataset)
    with indexed_dataset(dataset, settings, ingest_settings, workdir) as (kb, _):
        desk = Desk(HybridRetriever(kb), bot_settings, chat)
        records = [play(desk, s) for s in scripts]
    result = {"kind": "conversations", "dataset": dataset.name}
    result["threshold"] = bot_settings.decision_threshold
    result["backend"] = bot_settings.answer_backend
    result.update(score(records))
    result["per_language"] = {
        lang: score([r for r in records if r["lang"] == lang])
        for lang in sorted({r["lang"] for r in records})
    }
    return ConversationsRun(result, records)


def load(name_or_path: str, extra: Sequence[Path] = ()) -> Dataset:
    """The dataset named (``extra``: more folders to look it up in), checked to hold
    conversations."""
    dataset = load_dataset(name_or_path, extra)
    load_scripts(dataset)
    return dataset


def format_conversations(run: ConversationsRun) -> str:
    """A readable summary, then one line per conversation that went wrong."""
    r = run.result

    def f(v) -> str:
        return "  n/a" if v is None else f"{v:.3f}"

    lines = [
        f"dataset {r['dataset']}: {r['conversations']} conversations, {r['turns']} turns played "
        f"(backend {r['backend']}, threshold {r['threshold']:.2f})",
        f"conversation success {f(r['conversation_success'])}  outcome accuracy "
        f"{f(r['outcome_accuracy'])}  turn accuracy {f(r['turn_accuracy'])}",
        f"citation accuracy {f(r['citation_accuracy'])} (follow-ups "
        f"{f(r['followup_citation_accuracy'])})  escalation recall {f(r['escalation_recall'])}  "
        f"precision {f(r['escalation_precision'])}",
    ]
    for lang, row in r["per_language"].items():
        lines.append(f"  [{lang}] success {f(row['conversation_success'])}")
    for conv in run.per_question:
        if conv["ok"]:
            continue
        lines.append(f"FAILED {conv['id']}: {conv['outcome']} (expected {conv['expect_outcome']})")
        for t in conv["turns"]:
            if not t["ok"]:
                lines.append(
                    f"    turn {t['turn']} {t['user'][:50]!r}: {t['decision']} "
                    f"(expected {t['expect_decision']}), cited {t['cited'] or '-'} "
                    f"(want any of {t['cites_any'] or '-'}), escalated {t['escalated']}"
                )
    return "\n".join(lines)
