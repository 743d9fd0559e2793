"""Slack bot tests: a local Web API stand-in, signed requests, scenarios through Bolt."""
