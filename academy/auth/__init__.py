"""Accounts, account roles, partner firms, sign-in and its throttle."""
