"""What the desk learns from its history: outcomes, analytics, knowledge gaps, incidents."""
