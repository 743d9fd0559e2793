"""An employee asks, escalates and files a ticket; an agent replies and resolves it; the employee
sees the reply and the new status, live in the chat and on My tickets."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from bot.tickets.records import TicketQuery
from bot.web.i18n import texts
from tests.browser.actions import ask, shoot, sign_in

pytestmark = pytest.mark.browser

QUESTION = "VPN이 자꾸 끊겨요"
REPLY = "GlobalProtect 6.2를 다시 설치해 보세요. 그래도 끊기면 알려 주세요."
RESOLUTION = "Reinstalled GlobalProtect; the tunnel stays up."


def employee_asks(page: Page, screenshots) -> None:
    """A sourced, AI-labelled answer to a Korean question."""
    bubble = ask(page, QUESTION)
    expect(bubble).to_have_attribute("data-decision", "answered")
    links = bubble.get_by_test_id("source-link")
    expect(links.first).to_be_visible()
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        assert href.startswith("/articles/"), href
    expect(bubble.get_by_test_id("ai-label")).to_be_visible()
    shoot(page, screenshots, "02-chat")


def employee_files_ticket(page: Page, site, screenshots) -> tuple[str, str]:
    """Talk to a person: a prefilled draft, the priority changed, filed with a double click."""
    page.get_by_test_id("talk-to-person-button").last.click()
    form = page.get_by_test_id("draft-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("draft-summary")).to_have_value(re.compile(r"VPN"))
    expect(page.get_by_test_id("draft-category")).to_have_value("network")
    group = site.config.bot.assignment_groups["network"]
    expect(page.get_by_test_id("draft-group")).to_have_value(group)
    suggested = page.get_by_test_id("draft-priority").input_value()
    chosen = "P2" if suggested != "P2" else "P3"
    page.get_by_test_id("draft-priority").select_option(chosen)
    shoot(page, screenshots, "03-ticket-draft")
    page.get_by_test_id("file-ticket-button").dblclick()
    number = page.get_by_test_id("ticket-number")
    expect(number).to_have_text(re.compile(r"\S+"))
    expect(form).to_be_hidden()
    return number.inner_text(), chosen


def agent_works_ticket(page: Page, number: str, screenshots) -> None:
    """The agent finds the ticket in the queue, reads it, replies and resolves it."""
    sign_in(page, "agent", "/agent")
    row = page.locator(f"[data-testid=queue-row][data-number='{number}']")
    expect(row).to_be_visible()
    shoot(page, screenshots, "05-agent-queue")
    row.get_by_test_id("queue-link").click()
    expect(page.get_by_test_id("ticket-transcript")).to_contain_text(QUESTION)
    expect(page.get_by_test_id("ticket-summary")).to_contain_text("VPN")
    expect(page.get_by_test_id("ticket-source").first).to_be_visible()
    page.get_by_test_id("reply-text").fill(REPLY)
    page.get_by_test_id("reply-button").click()
    reply = page.locator("[data-testid=ticket-message][data-kind=reply]")
    expect(reply).to_contain_text(REPLY)
    page.get_by_test_id("resolution-text").fill(RESOLUTION)
    page.get_by_test_id("resolve-button").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    expect(page.get_by_test_id("ticket-resolution")).to_contain_text(RESOLUTION)
    shoot(page, screenshots, "06-agent-ticket")


def test_a_question_becomes_a_ticket_that_an_agent_answers(open_page, desk_site, screenshots):
    employee = open_page("ko-KR")
    sign_in(employee, "employee")
    employee_asks(employee, screenshots)
    number, priority = employee_files_ticket(employee, desk_site, screenshots)
    conversation = int(parse_qs(urlparse(employee.url).query)["c"][0])

    agent_works_ticket(open_page("en-US"), number, screenshots)
    mine = desk_site.store.tickets(TicketQuery(requester="employee"))
    filed = [t for t in mine if t.conversation_id == conversation]
    assert [(t.number, t.priority) for t in filed] == [(number, priority)]  # the double click

    # The open chat polls: the reply and the new status arrive without a reload.
    expect(employee.get_by_test_id("agent-reply")).to_contain_text(REPLY, timeout=15_000)
    status = employee.locator("#chat-ticket-status")
    expect(status).to_have_attribute("data-status", "resolved", timeout=15_000)
    employee.get_by_test_id("nav-my-tickets").click()
    row = employee.locator(f"[data-testid=my-ticket-row][data-number='{number}']")
    expect(row.get_by_test_id("status-badge")).to_have_text(texts("ko")["status_resolved"])
    shoot(employee, screenshots, "04-my-tickets")
