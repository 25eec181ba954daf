"""Importing accounts from a spreadsheet's CSV: read, check row by row, stage, then apply.

The pipeline has three steps, each usable on its own by the site and the CLI:

1. ``read_account_file`` turns the uploaded bytes into ``ImportRow``s: it finds the encoding
   (UTF-8 with or without BOM, UTF-16 "Unicode text", or GB18030 when the result reads as
   Chinese), the delimiter and the header (English or Chinese column names), or refuses the
   whole file with ``ImportRefused``.
2. ``plan_import`` checks every row against the rules and the database of this moment and says
   what it would do: create, update (name, time zone, language), leave unchanged, or refuse
   with every reason. It writes nothing.
3. ``apply_plan`` writes a plan in the caller's transaction with a fixed number of statements
   whatever the file's size (bulk INSERTs and one bulk UPDATE), issues a set-password link per
   new account and queues its mail. The site stages the rows first (``stage_import``) and
   confirms later (``confirm_import``), which plans again: the database may have changed
   between preview and confirmation.

An existing account is never given another account role or firm by a file (that would let a
spreadsheet grant rights); such a row is refused and the admin changes the role on the
account's page. Administrators are not imported either: they are created one at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, delete, select

from academy.audit.models import AuditEvent
from academy.audit.service import record_event
from academy.auth.models import LOCALES, AccountImport, AccountRole, PartnerFirm, User
from academy.auth.password_links import IssuedLink, issue_links, unusable_password_hash
from academy.auth.service import is_valid_email, normalise_email
from academy.errors import DomainError, InvalidTransition, NotFound
from academy.notify.models import NotificationKind
from academy.notify.service import Message, notify_many
from academy.spreadsheets import safe_cell

MAX_FILE_BYTES = 2_000_000
MAX_FILE_SIZE_TEXT = "2 MB"
MAX_ROWS = 5_000
MAX_NAME_LENGTH = 100
#: A staged import older than this is gone: its preview no longer says what confirming does.
STAGED_IMPORT_LIFETIME = dt.timedelta(hours=24)
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_LOCALE = "en"
DELIMITERS = (",", ";", "\t")

FIELDS = ("email", "display_name", "account_role", "firm_slug", "timezone", "locale")
REQUIRED_FIELDS = ("email", "display_name")
#: Header names accepted for each field, compared after ``_header_key``; the first is the
#: one the import page documents.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件"),
    "display_name": ("display name", "name", "full name", "姓名", "名字", "显示名称", "显示名"),
    "account_role": ("account role", "role", "角色", "账号角色", "账户角色"),
    "firm_slug": ("firm slug", "firm", "partner firm", "企业", "企业代码", "合作企业"),
    "timezone": ("time zone", "timezone", "时区"),
    "locale": ("locale", "language", "语言"),
}
#: Account role cells accepted, in English and in Chinese (blank means student).
ROLE_NAMES: dict[str, AccountRole] = {
    "student": AccountRole.STUDENT,
    "学生": AccountRole.STUDENT,
    "学员": AccountRole.STUDENT,
    "instructor": AccountRole.INSTRUCTOR,
    "讲师": AccountRole.INSTRUCTOR,
    "教师": AccountRole.INSTRUCTOR,
    "老师": AccountRole.INSTRUCTOR,
    "partner": AccountRole.PARTNER,
    "企业员工": AccountRole.PARTNER,
    "企业": AccountRole.PARTNER,
    "合作企业": AccountRole.PARTNER,
    "admin": AccountRole.ADMIN,
    "管理员": AccountRole.ADMIN,
}
#: Language cells accepted (blank means English).
LOCALE_NAMES = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hans": "zh",
    "chinese": "zh",
    "中文": "zh",
    "简体中文": "zh",
}
IMPORTABLE_ROLES = frozenset({AccountRole.STUDENT, AccountRole.INSTRUCTOR, AccountRole.PARTNER})


class ImportRefused(DomainError):
    """The file as a whole cannot be read; ``message`` says what to do about it."""

    status = 422


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REFUSE = "refuse"


@dataclass(frozen=True)
class ImportRow:
    """One data line of the file, cells trimmed, email lower-cased; ``line`` is the file's."""

    line: int
    email: str
    display_name: str
    account_role: str = ""
    firm_slug: str = ""
    timezone: str = ""
    locale: str = ""

    def as_dict(self) -> dict[str, str | int]:
        return {"line": self.line, **{name: getattr(self, name) for name in FIELDS}}

    @classmethod
    def from_dict(cls, data: dict[str, str | int]) -> ImportRow:
        return cls(line=int(data["line"]), **{name: str(data.get(name, "")) for name in FIELDS})


@dataclass(frozen=True)
class AccountFile:
    """What ``read_account_file`` found: the rows and how the file was written."""

    rows: list[ImportRow]
    encoding: str
    delimiter: str
    ignored_columns: list[str]


@dataclass(frozen=True)
class PlannedRow:
    """What one row would do; the resolved values are the ones that will be stored."""

    row: ImportRow
    action: RowAction
    reasons: tuple[str | LazyString, ...] = ()
    changes: tuple[str, ...] = ()  # the fields an update changes
    user_id: int | None = None
    account_role: AccountRole | None = None
    firm_id: int | None = None
    timezone: str = ""
    locale: str = ""


@dataclass(frozen=True)
class ImportPlan:
    rows: list[PlannedRow]
    counts: dict[RowAction, int] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.counts.get(RowAction.CREATE) or self.counts.get(RowAction.UPDATE))


@dataclass(frozen=True)
class NewAccountLink:
    """A created account with its set-password link, for the admin's download."""

    email: str
    display_name: str
    link: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    refused: int
    links: list[NewAccountLink]


# Reading the file


# What Excel's plain "CSV" writes on a Chinese Windows (GBK, of which GB18030 is a superset).
CHINESE_EXCEL_ENCODING = "gb18030"


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding's name, or ImportRefused with what to do instead."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _l(
                "This is an Excel workbook, not a CSV file. In Excel choose "
                "File → Save As → “CSV UTF-8 (Comma delimited)”."
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode(CHINESE_EXCEL_ENCODING)
        except UnicodeDecodeError:
            text = ""
        if text and _reads_as_chinese(text):
            return text, CHINESE_EXCEL_ENCODING
    raise ImportRefused(
        _l(
            "The file's encoding was not recognised. Save it as “CSV UTF-8” "
            "(or as CSV from a Chinese Excel, which writes GBK)."
        )
    )


def _reads_as_chinese(text: str) -> bool:
    """Whether GB18030-decoded text is plausibly what a Chinese Excel wrote.

    GB18030 maps almost any byte sequence to some character, so decoding alone proves nothing.
    A Chinese Excel file decodes to printable text whose non-ASCII characters are nearly all
    common ones, the GB2312 set of everyday Chinese characters and punctuation; text in another
    encoding turns into rare characters (a Latin "ü" before an ASCII letter becomes a GBK
    extension character), private-use or control characters.
    """
    if any(
        unicodedata.category(char) in {"Cc", "Co", "Cn", "Cs"} and char not in "\t\r\n"
        for char in text
    ):
        return False
    foreign = {char for char in text if ord(char) > 127}
    common = sum(1 for char in foreign if _in_gb2312(char))
    return common >= 0.9 * len(foreign)


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _header_key(cell: str) -> str:
    return " ".join(cell.strip().lower().replace("_", " ").replace("-", " ").split())


@functools.cache
def _column_lookup() -> dict[str, str]:
    return {
        _header_key(name): field_name
        for field_name, names in COLUMN_NAMES.items()
        for name in names
    }


def _header_fields(cells: list[str]) -> list[str | None]:
    lookup = _column_lookup()
    return [lookup.get(_header_key(cell)) for cell in cells]


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _choose_delimiter(text: str) -> str:
    """The delimiter under which the header names the most known columns.

    Excel writes ";" where the decimal separator is a comma, and "Unicode text" is tab
    separated. Judging by the header's meaning is steadier than ``csv.Sniffer``, which guesses
    from character frequencies and is fooled by commas inside names.
    """
    header = _first_line(text)
    best, best_known = ",", -1
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:  # e.g. a cell over csv's field limit: the parse proper reports it
            cells = []
        known = sum(1 for name in _header_fields(cells) if name)
        if known > best_known:
            best, best_known = delimiter, known
    return best


def read_account_file(data: bytes) -> AccountFile:
    """Decode and parse an account list, or refuse the whole file with ImportRefused."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            _l(
                "The file is larger than %(size)s. Split it into several files.",
                size=MAX_FILE_SIZE_TEXT,
            )
        )
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportRefused(_l("The file contains binary data; it is not a CSV file."))
    delimiter = _choose_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str | None] = []
    header_cells: list[str] = []
    rows: list[ImportRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if not header:
                header_cells = [cell.strip() for cell in cells]
                header = _header_fields(header_cells)
                _check_header(header)
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportRefused(
                    _l(
                        "The file has more than %(count)d rows. Split it into several files.",
                        count=MAX_ROWS,
                    )
                )
            values = {
                name: cells[index].strip()
                for index, name in enumerate(header)
                if name and index < len(cells)
            }
            rows.append(
                ImportRow(
                    line=reader.line_num,
                    email=normalise_email(values.get("email", "")),
                    **{name: values.get(name, "") for name in FIELDS if name != "email"},
                )
            )
    except csv.Error as error:
        raise ImportRefused(
            _l("Line %(line)d is not valid CSV: %(error)s", line=reader.line_num, error=str(error))
        ) from error
    if not header:
        raise ImportRefused(_l("The file is empty."))
    if not rows:
        raise ImportRefused(_l("The file has a header but no rows."))
    ignored = [
        cell for cell, name in zip(header_cells, header, strict=True) if name is None and cell
    ]
    return AccountFile(rows, encoding, delimiter, ignored)


def _check_header(header: list[str | None]) -> None:
    known = [name for name in header if name]
    missing = [name for name in REQUIRED_FIELDS if name not in known]
    if missing:
        raise ImportRefused(
            _l(
                "The first line must name the columns; “%(columns)s” is missing. "
                "See the column names on the import page.",
                columns=", ".join(COLUMN_NAMES[name][0] for name in missing),
            )
        )
    repeated = sorted({name for name in known if known.count(name) > 1})
    if repeated:
        raise ImportRefused(
            _l("The column “%(column)s” appears twice.", column=COLUMN_NAMES[repeated[0]][0])
        )


# Checking the rows


@functools.cache
def _timezones() -> dict[str, str]:
    """Every IANA zone by its lower-cased name, so "asia/shanghai" finds "Asia/Shanghai"."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def plan_import(session: Session, rows: list[ImportRow]) -> ImportPlan:
    """Say what each row would do, against the database now; writes nothing.

    Two queries whatever the number of rows: the firms named and the accounts that exist.
    """
    slugs = {row.firm_slug.lower() for row in rows if row.firm_slug}
    firms = (
        dict(
            session.exec(
                select(PartnerFirm.slug, PartnerFirm.id).where(col(PartnerFirm.slug).in_(slugs))
            ).all()
        )
        if slugs
        else {}
    )
    emails = {row.email for row in rows if row.email}
    existing = (
        {user.email: user for user in session.exec(select(User).where(col(User.email).in_(emails)))}
        if emails
        else {}
    )
    first_line: dict[str, int] = {}
    planned = []
    for row in rows:
        planned.append(_plan_row(row, firms, existing, first_line))
        first_line.setdefault(row.email, row.line)
    counts = {action: 0 for action in RowAction}
    for item in planned:
        counts[item.action] += 1
    return ImportPlan(planned, counts)


def _plan_row(
    row: ImportRow,
    firms: dict[str, int | None],
    existing: dict[str, User],
    first_line: dict[str, int],
) -> PlannedRow:
    reasons: list[str | LazyString] = []
    if not row.email:
        reasons.append(_l("The email is missing."))
    elif not is_valid_email(row.email):
        reasons.append(_l("“%(email)s” is not a valid email address.", email=row.email))
    elif row.email in first_line:
        reasons.append(_l("The same email is on line %(line)d.", line=first_line[row.email]))
    if (
        not row.display_name
        or len(row.display_name) > MAX_NAME_LENGTH
        or any(unicodedata.category(char) == "Cc" for char in row.display_name)
    ):
        reasons.append(_l("Enter a name of 1 to %(count)d characters.", count=MAX_NAME_LENGTH))
    account_role = ROLE_NAMES.get(row.account_role.lower() or "student")
    if account_role is None:
        reasons.append(
            _l(
                "Unknown account role “%(role)s”: use student, instructor or partner.",
                role=row.account_role,
            )
        )
    elif account_role not in IMPORTABLE_ROLES:
        reasons.append(_l("Administrators are not imported; create them one at a time."))
    firm_id = None
    if account_role == AccountRole.PARTNER and not row.firm_slug:
        reasons.append(_l("Partner staff must belong to a partner firm."))
    elif row.firm_slug and account_role in IMPORTABLE_ROLES - {AccountRole.PARTNER}:
        reasons.append(_l("Only partner staff belong to a partner firm."))
    elif row.firm_slug:
        firm_id = firms.get(row.firm_slug.lower())
        if firm_id is None:
            reasons.append(_l("There is no partner firm %(slug)s.", slug=row.firm_slug))
    timezone = _timezones().get(row.timezone.lower(), "") if row.timezone else ""
    if row.timezone and not timezone:
        reasons.append(
            _l("Unknown time zone “%(zone)s”: use a name such as Asia/Shanghai.", zone=row.timezone)
        )
    locale = LOCALE_NAMES.get(row.locale.lower(), "") if row.locale else ""
    if row.locale and locale not in LOCALES:
        reasons.append(_l("Unknown language “%(locale)s”: use en or zh.", locale=row.locale))
    user = existing.get(row.email)
    if user is not None and not reasons:
        reasons += _conflicts_with_account(row, user, account_role, firm_id)
    if reasons:
        return PlannedRow(row, RowAction.REFUSE, tuple(reasons))
    if user is None:
        return PlannedRow(
            row,
            RowAction.CREATE,
            account_role=account_role,
            firm_id=firm_id,
            timezone=timezone or DEFAULT_TIMEZONE,
            locale=locale or DEFAULT_LOCALE,
        )
    # A blank time zone or language cell keeps what the account has.
    timezone, locale = timezone or user.timezone, locale or user.locale
    changes = tuple(
        name
        for name, new, old in (
            ("display_name", row.display_name, user.display_name),
            ("timezone", timezone, user.timezone),
            ("locale", locale, user.locale),
        )
        if new != old
    )
    return PlannedRow(
        row,
        RowAction.UPDATE if changes else RowAction.UNCHANGED,
        changes=changes,
        user_id=user.id,
        account_role=user.account_role,
        firm_id=user.firm_id,
        timezone=timezone,
        locale=locale,
    )


def _conflicts_with_account(
    row: ImportRow, user: User, account_role: AccountRole | None, firm_id: int | None
) -> list[LazyString]:
    """Why an existing account cannot take this row: a file never changes rights."""
    if not user.is_active:
        return [
            _l(
                "An account with this email exists and is deactivated; reactivate it on "
                "its page first."
            )
        ]
    if row.account_role and account_role != user.account_role:
        return [
            _l(
                "An account with this email exists with another account role; change "
                "account roles on the account's page."
            )
        ]
    if user.account_role == AccountRole.ADMIN:
        return [
            _l(
                "An account with this email exists and is an administrator; "
                "administrators are not changed by an import."
            )
        ]
    if row.firm_slug and firm_id != user.firm_id:
        return [
            _l(
                "An account with this email exists with another partner firm; change it "
                "on the account's page."
            )
        ]
    return []


# Writing


def apply_plan(
    session: Session,
    actor: User | None,
    plan: ImportPlan,
    *,
    now: dt.datetime,
    link_for: Callable[[str], str],
    import_id: int | None = None,
) -> ImportResult:
    """Write ``plan`` in the caller's transaction (the caller commits).

    A fixed number of statements whatever the number of rows: the new accounts, their ids,
    their links, their mail and the audit trail are each one bulk INSERT or SELECT, and the
    updates one executemany UPDATE. ``link_for`` turns a raw token into the URL to mail.
    """
    to_create = [item for item in plan.rows if item.action == RowAction.CREATE]
    to_update = [item for item in plan.rows if item.action == RowAction.UPDATE]
    created = _insert_accounts(session, to_create, now)
    if to_update:
        users = User.__table__
        session.execute(
            sa.update(users)
            .where(users.c.id == sa.bindparam("uid"))
            .values(
                display_name=sa.bindparam("new_name"),
                timezone=sa.bindparam("new_zone"),
                locale=sa.bindparam("new_locale"),
            ),
            [
                {
                    "uid": item.user_id,
                    "new_name": item.row.display_name,
                    "new_zone": item.timezone,
                    "new_locale": item.locale,
                }
                for item in to_update
            ],
        )
    issued = issue_links(
        session, ((user_id, password_hash) for user_id, password_hash, _item in created), now
    )
    links = [
        NewAccountLink(item.row.email, item.row.display_name, link_for(link.token), link.expires_at)
        for (_id, _hash, item), link in zip(created, issued, strict=True)
    ]
    _queue_invitations(
        session,
        [
            (item, link, issued_link)
            for (_id, _hash, item), link, issued_link in zip(created, links, issued, strict=True)
        ],
        now,
    )
    _audit(session, actor, import_id, created, to_update, now)
    return ImportResult(
        created=len(created),
        updated=len(to_update),
        unchanged=plan.counts.get(RowAction.UNCHANGED, 0),
        refused=plan.counts.get(RowAction.REFUSE, 0),
        links=links,
    )


def _insert_accounts(
    session: Session, items: list[PlannedRow], now: dt.datetime
) -> list[tuple[int, str, PlannedRow]]:
    """Insert the new accounts in one statement and read their ids back in one more."""
    if not items:
        return []
    hashes = {item.row.email: unusable_password_hash() for item in items}
    session.execute(
        sa.insert(User.__table__),
        [
            {
                "email": item.row.email,
                "display_name": item.row.display_name,
                "password_hash": hashes[item.row.email],
                "account_role": item.account_role,
                "firm_id": item.firm_id,
                "locale": item.locale,
                "timezone": item.timezone,
                "is_active": True,
                "session_version": 1,
                "created_at": now,
                "last_login_at": None,
            }
            for item in items
        ],
    )
    ids = dict(
        session.exec(select(User.email, User.id).where(col(User.email).in_(list(hashes)))).all()
    )
    return [(ids[item.row.email] or 0, hashes[item.row.email], item) for item in items]


def _queue_invitations(
    session: Session,
    invitations: list[tuple[PlannedRow, NewAccountLink, IssuedLink]],
    now: dt.datetime,
) -> None:
    """Put each new account's link in the mail outbox, in the account's language."""
    messages = []
    for item, link, issued in invitations:
        with force_locale(item.locale):
            subject = _("Your Live Academy account is ready")
            body = _(
                "Hello %(name)s,\n\nan administrator opened a Live Academy account for "
                "%(email)s. Choose your password with this link (it works once, until "
                "%(date)s UTC):\n\n%(link)s\n\nAfter that, sign in with your email and "
                "the password you chose.",
                name=item.row.display_name,
                email=item.row.email,
                date=f"{link.expires_at:%Y-%m-%d %H:%M}",
                link=link.link,
            )
        messages.append(Message(issued.user_id, subject, body,
                                f"account-invite:{issued.user_id}:{now:%Y%m%dT%H%M%S}"))
    notify_many(session, NotificationKind.ACCOUNT_INVITE, messages, now)


def _audit(
    session: Session,
    actor: User | None,
    import_id: int | None,
    created: list[tuple[int, str, PlannedRow]],
    updated: list[PlannedRow],
    now: dt.datetime,
) -> None:
    """One event per account changed (one bulk INSERT), and one for the import as a whole."""
    actor_id = actor.id if actor else None
    events = [
        {
            "actor_id": actor_id,
            "action": "user.created",
            "subject_type": "user",
            "subject_id": user_id,
            "at": now,
            "detail": {
                "account_role": item.account_role.value if item.account_role else "",
                "firm_id": item.firm_id,
                "import_id": import_id,
            },
        }
        for user_id, _hash, item in created
    ]
    events += [
        {
            "actor_id": actor_id,
            "action": "user.updated_by_import",
            "subject_type": "user",
            "subject_id": item.user_id or 0,
            "at": now,
            "detail": {"changed": list(item.changes), "import_id": import_id},
        }
        for item in updated
    ]
    if events:
        session.execute(sa.insert(AuditEvent.__table__), events)
    record_event(
        session,
        actor_id=actor_id,
        action="users.imported",
        subject_type="account_import",
        subject_id=import_id or 0,
        now=now,
        detail={"created": len(created), "updated": len(updated)},
    )


def import_accounts(
    session: Session,
    actor: User | None,
    plan: ImportPlan,
    *,
    now: dt.datetime,
    link_for: Callable[[str], str],
) -> ImportResult:
    """Apply a plan just made in this session (the CLI, which has no preview step). Commits."""
    return _apply_and_commit(session, actor, plan, now=now, link_for=link_for)


def _apply_and_commit(
    session: Session,
    actor: User | None,
    plan: ImportPlan,
    *,
    now: dt.datetime,
    link_for: Callable[[str], str],
    import_id: int | None = None,
) -> ImportResult:
    """Apply ``plan`` in one transaction, or nothing when another writer got in first.

    The plan was checked against the database a moment ago; an account created since (by
    another admin, say) breaks a unique constraint, and the whole import is rolled back.
    """
    try:
        result = apply_plan(session, actor, plan, now=now, link_for=link_for,
                            import_id=import_id)
        session.commit()
    except sa.exc.IntegrityError as error:
        session.rollback()
        raise InvalidTransition(
            _l(
                "Another change to these accounts happened at the same "
                "moment. Nothing was imported; confirm again."
            )
        ) from error
    return result


# Staging for the site's preview → confirm


def stage_import(
    session: Session, actor: User, *, filename: str, data: bytes, now: dt.datetime
) -> tuple[AccountImport, AccountFile]:
    """Read the file and keep its rows for the preview; drops stale staged imports. Commits.

    The rows are stored, not sent back through the browser, so confirming carries only an id
    and the file cannot be altered between preview and confirmation. The file as read is
    returned too, for telling the admin how it was understood.
    """
    account_file = read_account_file(data)
    session.exec(
        delete(AccountImport).where(col(AccountImport.created_at) < now - STAGED_IMPORT_LIFETIME)
    )
    staged = AccountImport(
        created_by=actor.id or 0,
        filename=filename[:255],
        created_at=now,
        rows=[row.as_dict() for row in account_file.rows],
    )
    session.add(staged)
    session.commit()
    return staged, account_file


def get_staged_import(
    session: Session, actor: User, import_id: int, now: dt.datetime
) -> tuple[AccountImport, list[ImportRow]]:
    """The actor's own staged import and its rows; another admin's is not found."""
    staged = session.get(AccountImport, import_id)
    if (
        staged is None
        or staged.created_by != actor.id
        or staged.created_at < now - STAGED_IMPORT_LIFETIME
    ):
        raise NotFound(_l("This import has expired or does not exist. Upload the file again."))
    return staged, [ImportRow.from_dict(data) for data in staged.rows]


def confirm_import(
    session: Session,
    actor: User,
    import_id: int,
    *,
    now: dt.datetime,
    link_for: Callable[[str], str],
) -> ImportResult:
    """Apply a staged import after checking every row again. Commits.

    Claiming the staged row with a conditional UPDATE makes a second confirmation (a double
    click, two tabs) fail instead of importing twice.
    """
    staged, rows = get_staged_import(session, actor, import_id, now)
    claimed = (
        session.execute(
            sa.update(AccountImport)
            .where(col(AccountImport.id) == staged.id, col(AccountImport.applied_at).is_(None))
            .values(applied_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not claimed:
        session.rollback()
        raise InvalidTransition(_l("This import has already been confirmed."))
    return _apply_and_commit(session, actor, plan_import(session, rows), now=now,
                             link_for=link_for, import_id=staged.id)


def links_csv(links: Iterable[NewAccountLink]) -> str:
    """The links as CSV with a BOM, so Excel opens the Chinese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["email", "display_name", "set_password_link", "expires_at_utc"])
    for link in links:
        writer.writerow(
            [
                safe_cell(link.email),
                safe_cell(link.display_name),
                link.link,
                f"{link.expires_at:%Y-%m-%d %H:%M}",
            ]
        )
    return "\ufeff" + out.getvalue()

