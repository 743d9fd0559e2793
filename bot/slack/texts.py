"""What the Slack bot says in its own words, in Korean and English (every key in both)."""

from __future__ import annotations

from bot.desk.messages import lang_key

TEXTS: dict[str, dict[str, str]] = {
    "ko": {
        "looking": "🔎 지식 문서에서 답을 찾고 있습니다…",
        "ai_generated": "🤖 AI가 지식 문서를 바탕으로 작성한 답변입니다. 출처를 확인해 주세요.",
        "sources": "출처",
        "related": "관련 문서",
        "resolved": "해결됨",
        "not_helpful": "도움이 안 됨",
        "escalate": "담당자 연결",
        "error": "죄송합니다. 답변을 만드는 중에 문제가 생겼습니다. 담당자에게 연결해 드릴까요?",
        "unavailable": "죄송합니다. 지금은 답변할 수 없습니다. 잠시 후 다시 질문해 주세요.",
        "timeout": "답변이 평소보다 오래 걸리고 있습니다. 준비되면 이 스레드에 올려 드릴게요. "
        "급하시면 담당자에게 연결해 드릴까요?",
        "marked_resolved": "✅ <@{user}>님이 해결됨으로 표시했습니다. 감사합니다!",
        "marked_not_helpful": "🙏 의견 감사합니다. 담당자가 필요하면 아래 버튼을 눌러 주세요.",
        "only_asker": "이 버튼은 질문하신 분만 쓸 수 있습니다. "
        "궁금한 점은 저를 멘션해 물어봐 주세요.",
        "gone": "이 대화를 더 이상 찾을 수 없습니다. 새로 질문해 주세요.",
        "already_filed": "이 대화는 이미 티켓 {ticket}({status})으로 접수되어 있습니다.",
        "ticket_filed": "🎫 티켓 {ticket}이(가) 접수되었습니다: *{subject}*\n"
        "담당자의 답변은 이 스레드에 올라옵니다.",
        "ticket_failed": "티켓을 접수하지 못했습니다: {reason}",
        "agent_reply": "💬 *{agent}* 님의 답변 ({ticket})",
        "status_changed": "🔄 티켓 {ticket} 상태: *{status}*",
        "resolution": "해결 내용",
        "status_new": "접수",
        "status_open": "처리 중",
        "status_pending": "대기",
        "status_resolved": "해결됨",
        "status_closed": "종료",
        "modal_title": "담당자 연결",
        "modal_submit": "티켓 접수",
        "modal_cancel": "취소",
        "modal_loading": "대화를 요약하고 있습니다…",
        "modal_failed": "티켓 양식을 열지 못했습니다. '담당자 연결'을 다시 눌러 주세요.",
        "modal_note": "제출하면 이 대화 전체가 IT 담당자에게 전달됩니다. "
        "요약과 분류는 AI가 제안한 것이니 고쳐 주세요.",
        "field_subject": "제목",
        "field_summary": "요약",
        "field_category": "분류",
        "field_priority": "우선순위",
        "priority_P1": "P1 긴급",
        "priority_P2": "P2 높음",
        "priority_P3": "P3 보통",
        "priority_P4": "P4 낮음",
        "usage": "/helpdesk 뒤에 질문을 적어 주세요. 예: `/helpdesk VPN이 연결되지 않아요`",
        "command_ack": "질문을 받았습니다. 저와의 DM 스레드에 답변을 드릴게요.",
        "command_question": "<@{user}>님의 질문 (/helpdesk):",
    },
    "en": {
        "looking": "🔎 Looking through our articles…",
        "ai_generated": "🤖 AI-generated from our articles: please check the sources.",
        "sources": "Sources",
        "related": "Related articles",
        "resolved": "Resolved",
        "not_helpful": "Not helpful",
        "escalate": "Talk to a person",
        "error": "Sorry, something went wrong while answering. Shall I connect you with a person?",
        "unavailable": "Sorry, I can't answer right now. Please ask again in a moment.",
        "timeout": "This is taking longer than usual; I'll post the answer in this thread when it "
        "is ready. In a hurry? Talk to a person.",
        "marked_resolved": "✅ Marked resolved by <@{user}>. Thanks!",
        "marked_not_helpful": "🙏 Thanks for the feedback. Need a person? Use the button below.",
        "only_asker": "Only the person who asked can use these buttons. "
        "Mention me to ask your own question.",
        "gone": "I can't find this conversation anymore. Please ask again.",
        "already_filed": "This conversation already has ticket {ticket} ({status}).",
        "ticket_filed": "🎫 Ticket {ticket} filed: *{subject}*\n"
        "The agent's replies will appear in this thread.",
        "ticket_failed": "The ticket could not be filed: {reason}",
        "agent_reply": "💬 *{agent}* replied ({ticket})",
        "status_changed": "🔄 Ticket {ticket} is now *{status}*",
        "resolution": "Resolution",
        "status_new": "new",
        "status_open": "open",
        "status_pending": "pending",
        "status_resolved": "resolved",
        "status_closed": "closed",
        "modal_title": "Talk to a person",
        "modal_submit": "File ticket",
        "modal_cancel": "Cancel",
        "modal_loading": "Summarising the conversation…",
        "modal_failed": "The ticket form could not be opened; please press Talk to a person again.",
        "modal_note": "Filing sends this whole conversation to an IT agent. The summary and "
        "category are the AI's suggestion: edit them freely.",
        "field_subject": "Subject",
        "field_summary": "Summary",
        "field_category": "Category",
        "field_priority": "Priority",
        "priority_P1": "P1 critical",
        "priority_P2": "P2 high",
        "priority_P3": "P3 normal",
        "priority_P4": "P4 low",
        "usage": "Write your question after /helpdesk, e.g. `/helpdesk VPN won't connect`",
        "command_ack": "Got it: I'll answer in a thread in our direct messages.",
        "command_question": "<@{user}> asked (/helpdesk):",
    },
}


def say(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (Korean or English), filled with ``values``."""
    text = TEXTS[lang_key(language)][key]
    return text.format(**values) if values else text
