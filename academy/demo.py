"""Demo data for trying the site: a partner firm and one account of each account role."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from academy.auth.models import AccountRole, PartnerFirm, User
from academy.auth.service import NewAccount, create_account, create_firm

DEMO_PASSWORD = "demo-password"  # noqa: S105  (published in the README on purpose)
DEMO_FIRM_SLUG = "demo-firm"
DEMO_ACCOUNTS = (
    ("student@demo.test", "Li Na 李娜", AccountRole.STUDENT),
    ("student2@demo.test", "Wang Lei 王磊", AccountRole.STUDENT),
    ("instructor@demo.test", "Chen Jing 陈静", AccountRole.INSTRUCTOR),
    ("partner@demo.test", "Zhao Min 赵敏", AccountRole.PARTNER),
    ("admin@demo.test", "Admin 管理员", AccountRole.ADMIN),
)


def database_is_empty(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is None


def load_demo_data(session: Session, *, now: dt.datetime) -> int:
    """Create whatever part of the demo data is missing; return how many rows were added.

    Safe to run again: existing accounts and the firm are left as they are.
    """
    added = 0
    demo_firm = select(PartnerFirm.id).where(PartnerFirm.slug == DEMO_FIRM_SLUG)
    if session.exec(demo_firm).first() is None:
        create_firm(
            session, None, slug=DEMO_FIRM_SLUG, name="Yiwu Lighting Export Co. 义乌灯饰出口",
            website="https://example.com", now=now,
            description="Demo partner firm: LED lighting exporter streaming to B2B buyers.",
        )
        added += 1
    existing = set(session.exec(select(User.email)))
    for email, name, account_role in DEMO_ACCOUNTS:
        if email in existing:
            continue
        create_account(session, None, NewAccount(
            email=email, display_name=name, password=DEMO_PASSWORD, account_role=account_role,
            firm_slug=DEMO_FIRM_SLUG if account_role == AccountRole.PARTNER else "",
        ), now=now)
        added += 1
    return added
