"""Text handling shared by every part: language, sentences, personal data."""
