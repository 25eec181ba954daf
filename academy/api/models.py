"""The api_token table: personal access tokens, stored hashed, with their rate-limit window."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime

MAX_TOKEN_NAME = 100


class ApiToken(SQLModel, table=True):
    """A user's named token for the JSON API; only the SHA-256 of its secret is kept.

    ``scopes`` is "read" or "read write". The rate limit counts requests in a fixed window
    kept on the row itself (``window_started_at``, ``window_count``), so every worker of the
    site shares it.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=MAX_TOKEN_NAME)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=20)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_count: int = Field(default=0)

    @property
    def can_write(self) -> bool:
        return "write" in self.scopes.split()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
