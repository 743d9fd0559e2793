"""Admin pages and their JSON twins: dashboard, articles, uploads, drafts, audit."""
