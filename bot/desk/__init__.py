"""The Desk: one question in, a grounded answer (or a plain decline) out."""
