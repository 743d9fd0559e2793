"""Requests as Slack sends them to ``/slack/events``: events (JSON), button clicks and modal
submissions (``payload=`` forms), slash commands (forms), each signed with the signing secret the
way ``slack_sdk.signature.SignatureVerifier`` checks it."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.slack.slack_api import TEAM

APP_ID = "A0SERVICE1"
_ids = itertools.count(1)


def fresh_ts() -> str:
    """A message timestamp no other test uses."""
    return f"{1_800_000_000 + next(_ids)}.{next(_ids):06d}"


def fresh_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):08d}"


class SlackSender:
    """Posts signed requests to the app's ``/slack/events``."""

    def __init__(self, base_url: str, signing_secret: str, path: str = "/slack/events"):
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.secret = signing_secret
        self.path = path

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        body: str,
        content_type: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        retry: int | None = None,
    ) -> httpx.Response:
        """POST ``body`` signed with ``secret`` (default: the right one) at ``timestamp``."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        verifier = SignatureVerifier(self.secret if secret is None else secret)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
        }
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.client.post(self.path, content=body.encode(), headers=headers)

    # -- events ------------------------------------------------------------------------------

    def event(self, event: dict, event_id: str | None = None, **kw) -> httpx.Response:
        """An Events API delivery of ``event``."""
        envelope = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or fresh_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT0001", "is_bot": True}],
        }
        return self.send(json.dumps(envelope), "application/json", **kw)

    def mention(
        self,
        user: str,
        channel: str,
        text: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        **kw,
    ) -> tuple[str, httpx.Response]:
        """``@servicedesk text`` in a channel; the message's ts and the response."""
        ts = ts or fresh_ts()
        event = {
            "type": "app_mention",
            "user": user,
            "channel": channel,
            "ts": ts,
            "event_ts": ts,
            "text": f"<@UBOT0001> {text}",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, self.event(event, **kw)

    def message(
        self,
        user: str,
        channel: str,
        text: str,
        channel_type: str = "channel",
        thread_ts: str | None = None,
        **kw,
    ) -> tuple[str, httpx.Response]:
        """A plain message (a DM when ``channel_type`` is ``im``)."""
        ts = fresh_ts()
        event = {
            "type": "message",
            "user": user,
            "channel": channel,
            "ts": ts,
            "event_ts": ts,
            "text": text,
            "channel_type": channel_type,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, self.event(event, **kw)

    # -- interactivity -----------------------------------------------------------------------

    def interaction(self, payload: dict, **kw) -> httpx.Response:
        """A click or a submission: ``payload=<json>`` as a form."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, "application/x-www-form-urlencoded", **kw)

    def click(self, user: str, channel: str, message: dict, action_id: str, **kw) -> httpx.Response:
        """Press the button ``action_id`` of ``message`` (as the stand-in recorded it)."""
        button = next(
            e
            for b in message["blocks"]
            if b.get("type") == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": APP_ID,
            "team": {"id": TEAM},
            "trigger_id": fresh_id("tr."),
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
            "message": message,
            "response_url": "http://127.0.0.1:9/unused",
            "actions": [{**button, "block_id": "sd_feedback", "action_ts": fresh_ts()}],
        }
        return self.interaction(payload, **kw)

    def submit(self, user: str, view: dict, values: dict[str, str], **kw) -> httpx.Response:
        """Submit the modal ``view`` with ``values`` (block id -> text or chosen option)."""
        state = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element, block_id = block["element"], block["block_id"]
            value = values.get(block_id, _initial(element))
            if element["type"] == "static_select":
                state[block_id] = {
                    "value": {"type": "static_select", "selected_option": {"value": value}}
                }
            else:
                state[block_id] = {"value": {"type": "plain_text_input", "value": value}}
        submitted = {**view, "state": {"values": state}}
        payload = {
            "type": "view_submission",
            "user": {"id": user, "team_id": TEAM},
            "team": {"id": TEAM},
            "api_app_id": APP_ID,
            "trigger_id": fresh_id("tr."),
            "view": submitted,
        }
        return self.interaction(payload, **kw)

    def command(
        self, user: str, text: str, channel: str = "C0GENERAL", trigger_id: str | None = None, **kw
    ) -> httpx.Response:
        """``/helpdesk text`` typed in ``channel``."""
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/helpdesk",
            "text": text,
            "api_app_id": APP_ID,
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": trigger_id or fresh_id("tr."),
        }
        return self.send(urlencode(form), "application/x-www-form-urlencoded", **kw)


def _initial(element: dict) -> str:
    if element["type"] == "static_select":
        return (element.get("initial_option") or {}).get("value", "")
    return element.get("initial_value", "")
