"""Who may call the service: API keys, roles, the route policy, the audit log."""
