"""Classic XSS payloads, planted in every user-written field, and a finder of executable HTML.

Shared by tests/fuzz/test_xss.py (the HTML of every page that shows the fields) and
tests/browser/test_xss_dialog.py (the same pages in Chromium: no dialog may open).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from sqlmodel import Session

from academy.api import service as api_service
from academy.assessment import service as assessment_service
from academy.auth import service as auth_service
from academy.auth.models import PartnerFirm, User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import CohortStatus
from academy.curriculum.sync import sync_courses
from academy.practice import service as practice_service
from tests.curriculum.builders import write_catalogue
from tests.practice.factories import stream_input

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"20\" y=\"20\">X</text></a></svg>",
    "<svg><animate attributeName=href values=javascript:alert(1) /></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">CLICK</math>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">click</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<div style=\"width: expression(alert(1))\">css</div>",
    "<div style=\"background:url(javascript:alert(1))\">css</div>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<button formaction=\"javascript:alert(1)\">go</button>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "[click me](javascript:alert(1))",
    "[click me](javascript&#58;alert(1))",
    "[click me](<javascript:alert(1)>)",
    "![image](javascript:alert(1))",
    "![x\" onerror=\"alert(1)](https://example.test/x.png)",
    "[a](https://example.test/\"onmouseover=\"alert(1))",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{ config }}{% raw %}<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
]

# A URL that passes the http(s) checks and then tries to break out of its attribute.
HOSTILE_LINK = "https://example.test/\"onmouseover=\"alert(1)\"x=\""


class _ExecutableFinder(HTMLParser):
    """Elements and attributes through which a browser would run script or leave the site."""

    SCRIPT_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed",
                             "applet", "base", "portal"})
    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data",
                                "poster", "background", "values", "to", "from", "content"})
    _INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SCRIPT_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(name == "http-equiv" and (value or "").lower() == "refresh"
                                 for name, value in attrs):
            self.found.append("<meta http-equiv=refresh>")
        self._in_style = tag == "style"
        for name, value in attrs:
            compact = self._INVISIBLE.sub("", value or "").lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            elif name == "srcdoc":
                self.found.append(f"<{tag} srcdoc>")
            elif name == "style" and ("expression(" in compact or "javascript:" in compact):
                self.found.append(f"<{tag} style={value}>")
            elif name in self.URL_ATTRIBUTES and (
                    "javascript:" in compact or "vbscript:" in compact
                    or (compact.startswith("data:") and not compact.startswith("data:image/"))):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        compact = self._INVISIBLE.sub("", data).lower()
        if self._in_style and ("expression(" in compact or "javascript:" in compact):
            self.found.append(f"<style>{data[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False


def executable_content(html: str) -> list[str]:
    """Every way ``html`` could run script: the site's own pages have none (no inline JS)."""
    finder = _ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.found


@dataclass
class Planted:
    """Where each payload was stored, and who may see it."""

    instructor: User
    admin: User
    students: list[User] = field(default_factory=list)
    partners: list[User] = field(default_factory=list)
    stream_ids: list[int] = field(default_factory=list)
    cohort_slugs: list[str] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)


def _text(payload: str, limit: int, prefix: str = "") -> str:
    return (prefix + payload)[:limit]


def plant_payloads(session: Session, course_dir: Path, make_user: Callable[..., User],
                   make_firm: Callable[..., PartnerFirm], payloads: list[str]) -> Planted:
    """Store every payload in every user-written field, through the services' own rules."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    write_catalogue(course_dir, per_track=1)
    sync_courses(session, course_dir, now=now)
    planted = Planted(instructor=make_user("instructor", display_name="Chen <b>Jing</b>"),
                      admin=make_user("admin"))
    for index, payload in enumerate(payloads):
        student = make_user("student", display_name=_text(payload, 100, f"{index} "))
        firm = auth_service.create_firm(
            session, planted.admin, slug=f"xss-firm-{index}", name=_text(payload, 200, "Firm "),
            description=_text(payload, 2000), website=HOSTILE_LINK, now=now)
        partner = make_user("partner", firm=firm, display_name=_text(payload, 100, "P "))
        stream = practice_service.log_stream(
            session, student, stream_input(notes_md=payload, recording_url=HOSTILE_LINK),
            now=now)
        practice_service.annotate_stream(session, student, stream.id or 0, payload, now=now)
        assessment_service.assess_stream(
            session, planted.instructor, stream.id or 0, levels={"product": 3, "compliance": 3},
            comments_text=f"12:40 — {payload}", feedback_md=payload, now=now)
        cohort = cohorts_service.create_cohort(session, partner, cohorts_service.CohortDraft(
            name=_text(payload, 200, f"Class {index} "), track="host", seats=5,
            apply_by=now.date() + dt.timedelta(days=20),
            starts_on=now.date() + dt.timedelta(days=30),
            ends_on=now.date() + dt.timedelta(days=90), description_md=payload,
            required_modules=["host-topic-1"], platforms=["alibaba"], markets=["US"],
            languages=["en"], hiring_commitment=_text(payload, 2000)), now=now)
        for target in (CohortStatus.SUBMITTED, CohortStatus.APPROVED, CohortStatus.RECRUITING):
            actor = partner if target == CohortStatus.SUBMITTED else planted.instructor
            cohort = cohorts_service.change_status(session, actor, cohort.slug, target, now=now)
        member = cohorts_service.apply_to_cohort(
            session, student, cohort.slug, _text(payload, 2000, "I want to join this class: "),
            now=now)
        cohorts_service.add_event(session, partner, cohort.slug, cohorts_service.EventDraft(
            title=_text(payload, 200, "Event "), kind="class",
            starts_local=(now + dt.timedelta(days=31)).replace(tzinfo=None, second=0),
            duration_min=90, location=_text(payload, 200)), now=now)
        api_service.issue_token(session, student, name=_text(payload, 100), scope="read",
                                now=now)
        planted.students.append(student)
        planted.partners.append(partner)
        planted.stream_ids.append(stream.id or 0)
        planted.cohort_slugs.append(cohort.slug)
        planted.member_ids.append(member.id or 0)
    return planted


def pages_showing(planted: Planted, index: int) -> list[tuple[User, str]]:
    """Each page that shows the fields of payload ``index``, with a viewer who may open it."""
    student = planted.students[index]
    stream, slug = planted.stream_ids[index], planted.cohort_slugs[index]
    member = planted.member_ids[index]
    return [
        (planted.instructor, f"/practice/streams/{stream}"), (student, "/account/tokens"),
        (planted.admin, f"/cohorts/{slug}"), (planted.admin, f"/cohorts/{slug}/members/{member}"),
    ]


def shared_pages(planted: Planted) -> list[tuple[User, str]]:
    """Lists that show every payload at once."""
    admin, instructor = planted.admin, planted.instructor
    student, partner = planted.students[0], planted.partners[0]
    return [(admin, "/admin/users"), (admin, "/admin/firms"), (admin, "/cohorts"),
            (instructor, "/practice/class"), (instructor, "/gradebook/class"),
            (instructor, "/assessments/queue"), (instructor, "/cohorts"),
            (instructor, f"/gradebook/students/{student.id}"), (student, "/practice"),
            (student, "/gradebook"), (student, "/calendar"), (student, "/inbox"),
            (partner, "/cohorts/dashboard"), (partner, "/calendar"),
            (partner, f"/cohorts/{planted.cohort_slugs[0]}/applicants"),
            (partner, f"/cohorts/{planted.cohort_slugs[0]}/board")]
