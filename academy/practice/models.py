"""The practice_stream table and the enumerations of its fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from babel import Locale
from sqlmodel import Field, SQLModel

from academy.db import TwoPlaces, UTCDateTime, text_enum, utcnow


class Platform(StrEnum):
    """Where a stream ran: the platforms of Yi Yang's Table 3, plus the big domestic ones."""

    ALIBABA = "alibaba"
    ALIBABA_1688 = "1688"
    ALIEXPRESS = "aliexpress"
    AMAZON_LIVE = "amazon_live"
    LAZADA = "lazada"
    SHOPEE = "shopee"
    GRAVY_LIVE = "gravy_live"
    BULBUL = "bulbul"
    TIKTOK_SHOP = "tiktok_shop"
    DOUYIN = "douyin"
    TAOBAO = "taobao"
    OTHER = "other"


class StreamRole(StrEnum):
    """The part a person played in one stream (never "role" alone: see account roles)."""

    HOST = "host"
    DEPUTY_HOST = "deputy_host"
    ASSISTANT = "assistant"
    FIELD_CONTROL = "field_control"
    OPERATOR = "operator"
    PLANNER = "planner"


# Spoken languages of cross-border trade streams, as BCP 47 tags.
LANGUAGES = ("en", "zh", "es", "pt", "ru", "ar", "fr", "de", "it", "ja", "ko", "id", "ms", "th",
             "vi", "fil", "hi", "tr", "pl", "nl")
# Currencies GMV and ad spend are logged in (ISO 4217).
CURRENCIES = ("USD", "CNY", "EUR", "GBP", "JPY", "KRW", "HKD", "SGD", "MYR", "THB", "IDR", "VND",
              "PHP", "INR", "AED", "SAR", "RUB", "BRL", "MXN", "AUD", "CAD", "TRY")


def _iso_3166_markets() -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes, from CLDR via Babel, without its non-country entries."""
    not_countries = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB",
                     "XK", "ZZ"}
    return tuple(sorted(code for code in Locale("en").territories
                        if len(code) == 2 and code.isalpha() and code not in not_countries))


MARKETS = _iso_3166_markets()

# Which stream roles practise which track (certificates count streams in the track's roles).
TRACK_STREAM_ROLES = {
    "host": (StreamRole.HOST, StreamRole.DEPUTY_HOST, StreamRole.ASSISTANT),
    "operator": (StreamRole.FIELD_CONTROL, StreamRole.OPERATOR),
    "planner": (StreamRole.PLANNER,),
}


class PracticeStream(SQLModel, table=True):
    """One person's log of one practice stream; a team stream shares a team_code.

    Only raw counts are stored. KPIs are derived by ``academy.practice.kpi`` on every read,
    so a corrected number never leaves a stale rate behind.
    """

    __tablename__ = "practice_stream"
    __table_args__ = (
        sa.Index("ix_practice_stream_student_started", "student_id", "started_at"),
        sa.Index("ix_practice_stream_team_code", "team_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user.id")
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    duration_min: int
    platform: Platform = Field(sa_type=text_enum(Platform))
    market: str = Field(max_length=2)  # ISO 3166-1 alpha-2
    language: str = Field(max_length=16)  # BCP 47
    stream_role: StreamRole = Field(sa_type=text_enum(StreamRole))
    is_rehearsal: bool = False
    team_code: str = Field(default="", max_length=40)
    viewers_uv: int = 0
    views_pv: int = 0
    peak_concurrent: int = 0
    avg_watch_sec: int = 0
    comments: int = 0
    engaged_viewers: int = 0
    new_followers: int = 0
    product_click_uv: int = 0
    product_clicks: int = 0
    orders: int = 0
    buyers: int = 0
    gmv: Decimal = Field(default=Decimal(0), sa_type=TwoPlaces)
    currency: str = Field(default="USD", max_length=3)  # ISO 4217
    inquiries: int = 0
    rfqs: int = 0
    ad_spend: Decimal = Field(default=Decimal(0), sa_type=TwoPlaces)
    violations: int = 0
    recording_url: str = Field(default="", max_length=500)
    notes_md: str = Field(default="", sa_type=sa.Text)
    notes_html: str = Field(default="", sa_type=sa.Text)
    # After an assessment the numbers are frozen; the student may still add a note.
    annotation_md: str = Field(default="", sa_type=sa.Text)
    annotation_html: str = Field(default="", sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
