"""Security tests: the access matrix, sessions, and the ASVS checklist they prove."""
