"""Prompt templates ship here as plain files, loaded by name and versioned by content hash."""
