// The employee chat: streams answers (SSE over fetch), shows sources, feedback buttons, the
// "Talk to a person" draft, and polls the ticket for agent replies. Text from users, articles
// and agents is only ever set with textContent: never parsed as HTML. Answers are Markdown,
// rendered by markdown.js (DeskMarkdown) into DOM nodes: again, never as HTML.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const T = JSON.parse($("chat-texts").textContent);
  const initial = JSON.parse($("chat-data").textContent);
  const log = $("chat-log");
  const input = $("chat-input");
  const sendButton = $("send-button");
  const draftForm = $("draft-form");
  const conversationList = $("conversation-list");
  let conversationId = initial.conversation ? initial.conversation.id : null;
  let lastMessageId = 0;
  let pollTimer = null;
  let draftKey = null;

  function el(tag, attrs = {}, text = "") {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text) node.textContent = text;
    return node;
  }

  function showError(message) {
    const box = $("chat-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function api(path, method = "GET", body = undefined) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Error(T.error_generic);
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof data.detail === "string" ? data.detail : T.error_generic;
      throw new Error(detail);
    }
    return data;
  }

  function scrollDown() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  const articleHref = (source) => "/articles/" + encodeURIComponent(source.article_id);
  const sourceLabel = (source) => (source.section ? `${source.title} — ${source.section}` : source.title);

  // The answer as Markdown; "[1]" becomes a link to source 1 (its article) when it exists.
  function renderAnswerText(container, text, sources) {
    const byNumber = new Map((sources || []).map((s) => [Number(s.n), s]));
    const cite = (n) => {
      const source = byNumber.get(n);
      return source ? { href: articleHref(source), title: sourceLabel(source) } : null;
    };
    window.DeskMarkdown.render(container, text, cite);
  }

  // While tokens stream, re-render the whole text at most once per frame: cheap, and a marker
  // or code span split across tokens renders correctly as soon as it is complete.
  function renderSoon(view, state) {
    if (view.frame) return;
    view.frame = requestAnimationFrame(() => {
      view.frame = 0;
      renderAnswerText(view.body, state.text, state.sources);
    });
  }

  function userBubble(text) {
    const bubble = el("div", { class: "bubble user", "data-testid": "user-bubble" }, text);
    log.appendChild(bubble);
    scrollDown();
  }

  let bubbleCount = 0;
  function answerBubble() {
    bubbleCount += 1;
    const id = `answer-${bubbleCount}`;
    const bubble = el("div", {
      class: "bubble assistant", id, "data-testid": "answer-bubble", "data-state": "streaming",
    });
    const body = el("div", { class: "answer-text md", "data-testid": "answer-text" });
    bubble.appendChild(body);
    log.appendChild(bubble);
    scrollDown();
    return { id, bubble, body, frame: 0 };
  }

  function sourcesList(bubbleId, citations, heading) {
    const box = el("div", { class: "sources", "data-testid": "answer-sources" });
    box.appendChild(el("strong", {}, heading));
    const list = el("ol");
    for (const c of citations) {
      const item = el("li", { id: `${bubbleId}-src-${c.n}` });
      const link = { href: articleHref(c), "data-testid": "source-link", target: "_blank" };
      item.appendChild(el("a", link, sourceLabel(c)));
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  function finishAnswer(view, answer, turnId) {
    const { id, bubble, body } = view;
    if (view.frame) cancelAnimationFrame(view.frame);
    view.frame = 0;
    bubble.dataset.state = "done";
    bubble.dataset.decision = answer.decision;
    if (turnId) bubble.dataset.turnId = turnId;
    renderAnswerText(body, answer.text || "", answer.citations);
    if (answer.decision === "answered" && answer.citations && answer.citations.length) {
      bubble.appendChild(sourcesList(id, answer.citations, T.sources));
    } else if (answer.related && answer.related.length) {
      bubble.appendChild(sourcesList(id, answer.related, T.related_articles));
    }
    if (answer.decision === "answered") {
      bubble.appendChild(el("div", { class: "ai-label", "data-testid": "ai-label" }, T.ai_generated));
    }
    bubble.appendChild(actions(turnId));
    scrollDown();
  }

  function actions(turnId) {
    const box = el("div", { class: "actions" });
    const resolved = el("button", { type: "button", class: "secondary", "data-testid": "resolved-button" }, T.btn_resolved);
    const unhelpful = el("button", { type: "button", class: "secondary", "data-testid": "not-helpful-button" }, T.btn_not_helpful);
    const person = el("button", { type: "button", "data-testid": "talk-to-person-button" }, T.btn_talk_to_person);
    resolved.addEventListener("click", () => sendFeedback("resolved", turnId, box));
    unhelpful.addEventListener("click", () => sendFeedback("not_helpful", turnId, box));
    person.addEventListener("click", showDraft);
    box.append(resolved, unhelpful, person);
    return box;
  }

  async function sendFeedback(kind, turnId, box) {
    try {
      await api(`/api/v1/conversations/${conversationId}/feedback`, "POST", { kind, turn_id: turnId || null });
      for (const b of box.querySelectorAll("[data-testid=resolved-button],[data-testid=not-helpful-button]")) b.disabled = true;
      box.appendChild(el("span", { class: "meta", "data-testid": "feedback-thanks" }, kind === "resolved" ? T.thanks_resolved : T.thanks_feedback));
    } catch (err) {
      showError(err.message);
    }
  }

  // A chat started on this page joins the side list at once, marked as the current one.
  function listConversation(id, question) {
    if (!conversationList) return;
    for (const old of conversationList.querySelectorAll("[data-testid=no-conversations]")) old.remove();
    for (const old of conversationList.querySelectorAll("li.current")) {
      old.classList.remove("current");
      old.querySelector("a").removeAttribute("aria-current");
    }
    const line = question.split(/\s+/).join(" ").trim();
    const title = line.length > 80 ? line.slice(0, 79).trimEnd() + "…" : line;
    const item = el("li", { "data-testid": "conversation-item", "data-conversation-id": String(id), class: "current" });
    const link = el("a", { href: `/?c=${id}`, "data-testid": "conversation-link", "aria-current": "page" });
    link.append(
      el("span", { class: "title", "data-testid": "conversation-title" }, title),
      el("span", { class: "meta" }, T.current_conversation),
    );
    item.appendChild(link);
    conversationList.prepend(item);
  }

  // The current chat's line in the side list shows its ticket and status.
  function listTicket(ticket) {
    if (!conversationList || !conversationId) return;
    const item = conversationList.querySelector(`li[data-conversation-id="${Number(conversationId)}"]`);
    if (!item) return;
    let badge = item.querySelector("[data-testid=conversation-ticket]");
    if (!badge) {
      badge = el("span", { "data-testid": "conversation-ticket" });
      item.querySelector("a").appendChild(badge);
    }
    badge.className = "badge " + ticket.status;
    badge.dataset.status = ticket.status;
    badge.textContent = `${ticket.number} · ${T["status_" + ticket.status] || ticket.status}`;
  }

  async function ensureConversation() {
    if (conversationId) return conversationId;
    const conversation = await api("/api/v1/conversations", "POST", {});
    conversationId = conversation.id;
    history.replaceState(null, "", `/?c=${conversationId}`);
    return conversationId;
  }

  function handleEvent(view, state, kind, data) {
    if (kind === "sources") {
      state.sources = data;
    } else if (kind === "token") {
      state.text += data;
      renderSoon(view, state);
    } else if (kind === "reset") {
      state.text = "";
      renderSoon(view, state);
    } else if (kind === "answer") {
      state.answer = data;
    } else if (kind === "stored") {
      state.turnId = data.turn_id;
    }
  }

  async function ask(question) {
    showError("");
    userBubble(question);
    const view = answerBubble();
    const state = { text: "", sources: [], answer: null, turnId: null };
    try {
      const fresh = !conversationId;
      const id = await ensureConversation();
      if (fresh) listConversation(id, question);
      const response = await fetch(`/api/v1/conversations/${id}/messages/stream`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ question }),
      });
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).detail || T.error_generic);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let kind = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) kind = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          handleEvent(view, state, kind, JSON.parse(data.join("\n") || "null"));
        }
      }
      if (!state.answer) throw new Error(T.error_generic);
      finishAnswer(view, state.answer, state.turnId);
    } catch (err) {
      view.bubble.remove();
      showError(err.message);
    }
  }

  function fillSelect(select, values, chosen, label = (v) => v) {
    select.textContent = "";
    const all = values.includes(chosen) || !chosen ? values : [chosen, ...values];
    for (const value of all) {
      const option = el("option", { value }, label(value));
      if (value === chosen) option.selected = true;
      select.appendChild(option);
    }
  }

  async function showDraft() {
    showError("");
    try {
      const id = await ensureConversation();
      const data = await api(`/api/v1/conversations/${id}/draft`, "POST", {});
      if (data.ticket) {
        showTicket(data.ticket);
        return;
      }
      const d = data.draft;
      $("draft-subject").value = d.subject;
      $("draft-summary").value = d.summary;
      $("draft-language").value = d.language;
      fillSelect($("draft-category"), data.choices.categories, d.category, (c) => T["category_" + c] || c);
      fillSelect($("draft-priority"), data.choices.priorities, d.priority, (p) => T["priority_" + p] || p);
      fillSelect($("draft-group"), data.choices.groups, d.group);
      // One key per shown draft: a double click or a retry files the same ticket once.
      draftKey = data.idempotency_key;
      $("draft-idempotency-key").value = draftKey;
      draftForm.hidden = false;
      $("file-ticket-button").disabled = false;
      draftForm.scrollIntoView({ behavior: "smooth" });
    } catch (err) {
      showError(err.message);
    }
  }

  async function fileTicket(event) {
    event.preventDefault();
    const button = $("file-ticket-button");
    button.disabled = true;
    try {
      const ticket = await api(`/api/v1/conversations/${conversationId}/ticket`, "POST", {
        subject: $("draft-subject").value,
        summary: $("draft-summary").value,
        category: $("draft-category").value,
        priority: $("draft-priority").value,
        group: $("draft-group").value,
        language: $("draft-language").value || "ko",
        idempotency_key: $("draft-idempotency-key").value,
      });
      draftForm.hidden = true;
      showTicket(ticket);
    } catch (err) {
      button.disabled = false;
      showError(err.message);
    }
  }

  function setStatus(status) {
    const badge = $("chat-ticket-status");
    badge.textContent = T["status_" + status] || status;
    badge.className = "badge " + status;
    badge.dataset.status = status;
  }

  function showTicket(ticket) {
    $("ticket-banner").hidden = false;
    $("ticket-number").textContent = ticket.number;
    $("ticket-link").setAttribute("href", "/tickets/" + encodeURIComponent(ticket.number));
    setStatus(ticket.status);
    listTicket(ticket);
    for (const m of ticket.messages || []) showMessage(m);
    if (!pollTimer) pollTimer = setInterval(poll, 5000);
  }

  function showMessage(m) {
    if (m.id <= lastMessageId) return;
    lastMessageId = m.id;
    if (m.kind === "reply") {
      const bubble = el("div", { class: "bubble agent", "data-testid": "agent-reply" });
      bubble.appendChild(el("div", { class: "meta" }, `${T.agent_label} · ${m.author}`));
      bubble.appendChild(el("div", {}, m.text));
      log.appendChild(bubble);
    } else if (m.kind === "status") {
      log.appendChild(el("div", { class: "bubble system", "data-testid": "status-change" }, `${T.ticket_status_changed}: ${m.text}`));
    } else if (m.kind === "employee") {
      log.appendChild(el("div", { class: "bubble user", "data-testid": "user-bubble" }, m.text));
    }
    scrollDown();
  }

  async function poll() {
    if (!conversationId) return;
    try {
      const data = await api(`/api/v1/conversations/${conversationId}/updates?after=${lastMessageId}`);
      if (data.ticket) {
        setStatus(data.ticket.status);
        listTicket(data.ticket);
      }
      for (const m of data.messages) showMessage(m);
    } catch (err) {
      // A missed poll is retried in five seconds; only say so if it keeps failing.
    }
  }

  $("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    sendButton.disabled = true;
    try {
      await ask(question);
    } finally {
      sendButton.disabled = false;
      input.focus();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  draftForm.addEventListener("submit", fileTicket);
  $("draft-cancel").addEventListener("click", () => { draftForm.hidden = true; });

  if (initial.conversation) {
    for (const turn of initial.conversation.turns) {
      if (turn.role === "user") userBubble(turn.text);
      else if (turn.answer) finishAnswer(answerBubble(), turn.answer, turn.id);
    }
  }
  if (initial.ticket) showTicket(initial.ticket);
  document.body.dataset.chatReady = "1";
})();
