"""Triage: category, priority and group for a new ticket (LLM or classifier)."""
