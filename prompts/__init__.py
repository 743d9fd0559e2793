"""Prompt templates ship here as plain files, loaded by name and versioned by content hash."""

from prompts.library import Prompt, PromptLibrary, PromptNotFound

__all__ = ["Prompt", "PromptLibrary", "PromptNotFound"]
