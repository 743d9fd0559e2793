"""A local stand-in for Slack's Web API: a real HTTP server that records every call and answers the
way Slack does (``ok``, ``ts``, ``view``...), with rate limits (429 + Retry-After) on demand.

The bot reaches it through ``SERVICEDESK_SLACK_API_URL`` exactly as it would reach Slack.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BOT_USER, BOT_ID, TEAM = "UBOT0001", "BBOT0001", "T0TEAM01"


@dataclass
class Call:
    """One request the bot made: the method, its arguments and the HTTP status answered."""

    method: str
    args: dict
    token: str
    status: int = 200
    result: dict = field(default_factory=dict)  # what the stand-in answered


@dataclass
class Posted:
    """A message the bot posted (its latest version after updates)."""

    channel: str
    ts: str
    thread_ts: str
    text: str
    blocks: list = field(default_factory=list)
    updates: int = 0

    def block(self, block_id: str) -> dict | None:
        """The block with ``block_id``, if any."""
        return next((b for b in self.blocks if b.get("block_id") == block_id), None)

    def all_text(self) -> str:
        """Every text of the message, blocks included (for assertions)."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


class SlackApi:
    """The stand-in server; ``url`` is the base URL to configure (ends with ``/api/``)."""

    def __init__(self, token: str = "xoxb-test-token") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.posted: dict[tuple[str, str], Posted] = {}
        self.users: dict[str, dict] = {}
        self.usergroups: dict[str, list[str]] = {}
        self._failures: dict[str, list[tuple[int, str, int, dict]]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def start(self) -> SlackApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what the workspace holds --------------------------------------------------------------

    def add_user(self, user_id: str, email: str = "", name: str = "") -> None:
        """A member ``users.info`` knows (unknown ids get ``user_not_found``)."""
        self.users[user_id] = {"email": email, "name": name or user_id.lower()}

    def fail_next(
        self,
        method: str,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: int = 0,
        times: int = 1,
        **match: str,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` whose arguments include ``match`` with
        ``status`` (a 429 carries Retry-After)."""
        failure = (status, error, retry_after, match)
        with self._lock:
            self._failures.setdefault(method, []).extend([failure] * times)

    # -- what the tests read -----------------------------------------------------------------

    def calls_to(self, method: str, **match: str) -> list[Call]:
        """The recorded calls of ``method`` whose arguments include ``match``."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and _matches(c.args, match)]

    def top_level(self, channel: str) -> list[Posted]:
        """The bot's messages posted in the channel itself (not in threads), oldest first."""
        with self._lock:
            found = [p for p in self.posted.values() if p.channel == channel and not p.thread_ts]
        return sorted(found, key=lambda p: float(p.ts))

    def thread(self, channel: str, thread_ts: str) -> list[Posted]:
        """The bot's messages in a thread (latest versions), oldest first."""
        with self._lock:
            found = [
                p
                for p in self.posted.values()
                if p.channel == channel and thread_ts in (p.thread_ts, p.ts)
            ]
        return sorted(found, key=lambda p: float(p.ts))

    def wait_for(self, probe: Callable[[], object], timeout: float = 30, what: str = "") -> object:
        """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")

    # -- the server --------------------------------------------------------------------------

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _answer(self) -> None:
                parsed = urlparse(self.path)
                method = parsed.path.rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                args = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                if raw.startswith("{"):
                    args.update(json.loads(raw))
                elif raw:
                    args.update({k: v[0] for k, v in parse_qs(raw).items()})
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                status, headers, body = api._respond(method, args, token)
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _respond(self, method: str, args: dict, token: str) -> tuple[int, dict, dict]:
        with self._lock:
            queued = self._failures.get(method, [])
            failure = next((f for f in queued if _matches(args, f[3])), None)
            if failure is not None:
                queued.remove(failure)
                status, error, retry_after, _ = failure
                self.calls.append(Call(method, args, token, status))
                headers = {"Retry-After": str(retry_after)} if status == 429 else {}
                return status, headers, {"ok": False, "error": error}
            call = Call(method, args, token)
            self.calls.append(call)
            answer = getattr(self, "_" + method.replace(".", "_"), None)
            if token != self.token:
                call.result = {"ok": False, "error": "invalid_auth"}
            else:
                call.result = answer(args) if answer else {"ok": True}
            return 200, {}, call.result

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _auth_test(self, args: dict) -> dict:
        return {
            "ok": True,
            "url": "https://servicedesk-test.slack.com/",
            "team": "Test",
            "user": "servicedesk",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _chat_postMessage(self, args: dict) -> dict:
        channel, ts = args.get("channel", ""), self._next_ts()
        thread_ts = args.get("thread_ts") or ""
        self.posted[(channel, ts)] = Posted(
            channel, ts, thread_ts, args.get("text", ""), _blocks(args)
        )
        message = {
            "type": "message",
            "text": args.get("text", ""),
            "ts": ts,
            "bot_id": BOT_ID,
            "blocks": _blocks(args),
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict) -> dict:
        key = (args.get("channel", ""), args.get("ts", ""))
        posted = self.posted.get(key)
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        posted.text, posted.blocks = args.get("text", ""), _blocks(args)
        posted.updates += 1
        return {"ok": True, "channel": key[0], "ts": key[1], "text": posted.text}

    def _chat_postEphemeral(self, args: dict) -> dict:
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, args: dict) -> dict:
        view = _json_arg(args.get("view"))
        return {"ok": True, "view": {**view, "id": f"V{next(self._ids):08d}", "hash": "h1"}}

    def _views_update(self, args: dict) -> dict:
        view = _json_arg(args.get("view"))
        return {"ok": True, "view": {**view, "id": args.get("view_id"), "hash": "h2"}}

    def _users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile = {"email": user["email"], "real_name": user["name"], "display_name": user["name"]}
        return {"ok": True, "user": {"id": args["user"], "name": user["name"], "profile": profile}}

    def _usergroups_users_list(self, args: dict) -> dict:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _conversations_open(self, args: dict) -> dict:
        user = args.get("users", "")
        return {"ok": True, "channel": {"id": "D" + user.removeprefix("U")}}


def _matches(args: dict, match: dict) -> bool:
    return all(args.get(k) == v for k, v in match.items())


def _json_arg(value) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _blocks(args: dict) -> list:
    blocks = args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)
