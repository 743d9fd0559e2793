"""The Slack front end: Bolt app, listeners, Block Kit and mrkdwn formatting."""
