"""Tickets and conversations: records, the store seam, escalation, casework, triage."""
