"""Practice streams: what students log, the KPIs derived from it, and how progress shows."""
