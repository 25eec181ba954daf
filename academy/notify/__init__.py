"""Notifications (inbox, preferences, mail delivery) and the scheduled jobs that create them."""
