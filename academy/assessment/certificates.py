"""Track certificates: the rule that earns one, issuing, verification, revocation, the PDF."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment, Certificate
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.curriculum.models import TRACKS, Module, QuizAttempt
from academy.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from academy.practice.models import TRACK_STREAM_ROLES, PracticeStream

MIN_ASSESSED_STREAMS = 3
MIN_MEAN_TOTAL = Decimal(70)


@dataclass(frozen=True)
class ChecklistItem:
    label: object
    done: bool
    detail: object = ""


@dataclass(frozen=True)
class Checklist:
    track: str
    items: list[ChecklistItem]
    certificate: Certificate | None

    @property
    def earned(self) -> bool:
        return all(item.done for item in self.items)


def certificate_checklist(session: Session, student: User, track: str) -> Checklist:
    """What the student has done toward a track certificate, and what is still missing.

    The rule, in one place: every current module of the track has a passed quiz, and at
    least three practice streams in the track's stream roles are assessed with a mean total
    of at least 70.
    """
    if track not in TRACKS:
        raise NotFound(_l("There is no such track."))
    modules = session.exec(select(Module.id, Module.title).where(
        Module.track == track, Module.retired == sa.false()).order_by(Module.position)).all()
    passed = set(session.exec(select(QuizAttempt.module_id).where(
        QuizAttempt.user_id == student.id, QuizAttempt.passed == sa.true())).all())
    missing = [title for module_id, title in modules if module_id not in passed]
    streams, mean_total = session.execute(
        select(func.count(sa.distinct(PracticeStream.id)),
               func.avg(sa.type_coerce(Assessment.total, sa.BigInteger)))
        .join(Assessment, col(Assessment.practice_stream_id) == col(PracticeStream.id))
        .where(PracticeStream.student_id == student.id,
               col(PracticeStream.stream_role).in_(TRACK_STREAM_ROLES[track]))
    ).one()
    mean = (Decimal(mean_total) / 100).quantize(Decimal("0.1")) if mean_total is not None \
        else None
    certificate = session.exec(select(Certificate).where(
        Certificate.user_id == student.id, Certificate.track == track)).first()
    items = [
        ChecklistItem(_l("Pass the quiz of every module in the track"),
                      bool(modules) and not missing,
                      _l("Still to pass: %(titles)s", titles=", ".join(missing)) if missing
                      else _l("%(count)d of %(count)d passed", count=len(modules))),
        ChecklistItem(_l("Have at least %(count)d practice streams in this track's roles "
                         "assessed", count=MIN_ASSESSED_STREAMS),
                      streams >= MIN_ASSESSED_STREAMS,
                      _l("%(count)d assessed so far", count=streams)),
        ChecklistItem(_l("Reach a mean rubric total of %(mark)s or more",
                         mark=MIN_MEAN_TOTAL),
                      mean is not None and mean >= MIN_MEAN_TOTAL,
                      _l("Mean so far: %(mean)s", mean=mean) if mean is not None
                      else _l("No assessment yet")),
    ]
    return Checklist(track, items, certificate)


def issue_certificate(session: Session, student: User, track: str, *,
                      now: dt.datetime) -> Certificate:
    """Issue the track certificate once the rule is met (idempotent). Audited. Commits."""
    if student.account_role != AccountRole.STUDENT:
        raise NotAllowed(_l("Certificates are issued to students."))
    checklist = certificate_checklist(session, student, track)
    if checklist.certificate is not None:
        if checklist.certificate.revoked_at is not None:
            raise InvalidTransition(_l("This certificate was revoked; ask an administrator."))
        return checklist.certificate
    if not checklist.earned:
        raise InvalidTransition(_l("The certificate is not earned yet; see what is missing."))
    certificate = Certificate(code=secrets.token_urlsafe(16), user_id=student.id or 0,
                              track=track, issued_at=now)
    session.add(certificate)
    session.flush()
    record_event(session, actor_id=student.id, action="certificate.issued",
                 subject_type="certificate", subject_id=certificate.id or 0, now=now,
                 detail={"track": track})
    session.commit()
    return certificate


@dataclass(frozen=True)
class Verification:
    certificate: Certificate
    holder_name: str

    @property
    def valid(self) -> bool:
        return self.certificate.revoked_at is None


def verify_certificate(session: Session, code: str) -> Verification:
    """Look a certificate up by its code: public, so an employer can check it."""
    row = session.exec(select(Certificate, User.display_name)
                       .join(User, col(User.id) == col(Certificate.user_id))
                       .where(Certificate.code == code[:40])).first()
    if row is None:
        raise NotFound(_l("No certificate has this code. Check it letter by letter."))
    return Verification(*row)


def own_certificate(session: Session, viewer: User, code: str) -> Verification:
    """A certificate for download: its holder, or college staff."""
    verification = verify_certificate(session, code)
    if viewer.id != verification.certificate.user_id and viewer.account_role not in (
            AccountRole.INSTRUCTOR, AccountRole.ADMIN):
        raise NotFound(_l("No certificate has this code. Check it letter by letter."))
    return verification


def revoke_certificate(session: Session, admin: User, code: str, *, reason: str,
                       now: dt.datetime) -> Certificate:
    """Withdraw a certificate; the verification page then says so. Audited. Commits."""
    if admin.account_role != AccountRole.ADMIN:
        raise NotAllowed(_l("Only administrators revoke certificates."))
    certificate = verify_certificate(session, code).certificate
    if certificate.revoked_at is not None:
        raise InvalidTransition(_l("This certificate is already revoked."))
    certificate.revoked_at = now
    certificate.revoked_reason = reason.strip()[:500]
    session.add(certificate)
    record_event(session, actor_id=admin.id, action="certificate.revoked",
                 subject_type="certificate", subject_id=certificate.id or 0, now=now,
                 detail={"reason": certificate.revoked_reason})
    session.commit()
    return certificate


class FontMissing(DomainError):
    """No font that can draw the holder's name is installed."""

    status = 503


@dataclass(frozen=True)
class CjkFont:
    path: Path
    index: int  # the face inside a TrueType/OpenType collection (.ttc)


def find_cjk_font(configured: str = "") -> CjkFont:
    """The font for certificates: ACADEMY_CJK_FONT, else what fontconfig calls Noto Sans CJK SC."""
    candidates = [configured] if configured else []
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK SC:lang=zh-cn"],  # noqa: S607
            capture_output=True, text=True, check=False, timeout=10).stdout
        candidates.append(found)
    for candidate in candidates:
        path, _, index = candidate.partition("|")
        if path and Path(path).is_file() and _covers_cjk(Path(path), int(index or 0)):
            return CjkFont(Path(path), int(index or 0))
    raise FontMissing(_l("Certificates need a Chinese font. Ask the administrator to install "
                         "Debian's fonts-noto-cjk package (or set ACADEMY_CJK_FONT)."))


def _font_faces(path: Path, index: int) -> TTFont:
    if path.suffix.lower() == ".ttc":
        return TTCollection(str(path)).fonts[index]
    return TTFont(str(path))


def _covers_cjk(path: Path, index: int) -> bool:
    return ord("中") in _font_faces(path, index).getBestCmap()


def covers_text(font: CjkFont, text: str) -> bool:
    cmap = _font_faces(font.path, font.index).getBestCmap()
    return all(ord(char) in cmap for char in text if not char.isspace())


@dataclass(frozen=True)
class CertificateText:
    """The certificate's words in the holder's language (translated by the caller)."""

    heading: str
    presented_to: str
    body: str
    issued: str
    verify: str


def certificate_pdf(verification: Verification, text: CertificateText, font: CjkFont) -> bytes:
    """An A4 landscape certificate with the holder's name and a verification address."""
    holder = verification.holder_name
    if not covers_text(font, holder + text.heading + text.body):
        raise FontMissing(_l("The installed font cannot draw every character of this name."))
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(font.path), collection_font_number=font.index)
    pdf.add_page()
    pdf.set_draw_color(197, 47, 33)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)
    pdf.set_text_color(197, 47, 33)
    pdf.set_font("cjk", size=30)
    pdf.set_xy(14, 36)
    pdf.cell(269, 14, text.heading, align="C")
    pdf.set_text_color(55, 60, 68)
    pdf.set_font("cjk", size=14)
    pdf.set_xy(14, 64)
    pdf.cell(269, 8, text.presented_to, align="C")
    pdf.set_font("cjk", size=34)
    pdf.set_xy(14, 80)
    pdf.cell(269, 18, holder, align="C")
    pdf.set_font("cjk", size=15)
    pdf.set_xy(34, 110)
    pdf.multi_cell(229, 9, text.body, align="C")
    pdf.set_font("cjk", size=12)
    pdf.set_xy(14, 160)
    pdf.cell(269, 7, text.issued, align="C")
    pdf.set_xy(14, 172)
    pdf.cell(269, 7, text.verify, align="C")
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()
