"""Pages that belong to no feature area: the dashboard, the health check, the language switch."""
