"""API fixtures: tokens issued through the service, and bearer headers to send them with."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session

from academy.api import service
from academy.auth.models import User
from academy.db import utcnow

# Order-class personas and cohorts at any stage, shared with the cohort tests.
from tests.cohorts.conftest import catalogue, make_cohort, world  # noqa: F401


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_for(session: Session) -> Callable[..., str]:
    """``token_for(user, "read")``: a fresh token's secret for ``user`` (write by default)."""

    def issue(user: User, scope: str = "write") -> str:
        return service.issue_token(session, user, name=f"{scope} token", scope=scope,
                                   now=utcnow()).secret

    return issue
