"""The `servicedesk` command line: entry points that compose services and call them."""
