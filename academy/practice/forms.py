"""The practice-stream form: its field names are the practice_stream columns.

The form converts what was typed into numbers and dates; the rules (ranges, the funnel's
consistency, time zone, future dates) live in ``practice.service.validate_stream``, which the
API uses too.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Length, Optional

from academy.practice.models import CURRENCIES, LANGUAGES, MARKETS, Platform, StreamRole

PLATFORM_LABELS = {
    Platform.ALIBABA: "Alibaba.com",
    Platform.ALIBABA_1688: "1688.com",
    Platform.ALIEXPRESS: "AliExpress",
    Platform.AMAZON_LIVE: "Amazon Live",
    Platform.LAZADA: "Lazada (LazLive)",
    Platform.SHOPEE: "Shopee Live",
    Platform.GRAVY_LIVE: "Gravy.Live",
    Platform.BULBUL: "Bulbul",
    Platform.TIKTOK_SHOP: "TikTok Shop",
    Platform.DOUYIN: _l("Douyin"),
    Platform.TAOBAO: _l("Taobao Live"),
    Platform.OTHER: _l("Other"),
}
STREAM_ROLE_LABELS = {
    StreamRole.HOST: _l("Host"),
    StreamRole.DEPUTY_HOST: _l("Deputy host"),
    StreamRole.ASSISTANT: _l("Assistant"),
    StreamRole.FIELD_CONTROL: _l("Field control"),
    StreamRole.OPERATOR: _l("Operator"),
    StreamRole.PLANNER: _l("Planner"),
}
COUNT_LABELS = {
    "viewers_uv": _l("Unique viewers (UV)"),
    "views_pv": _l("Views (PV)"),
    "peak_concurrent": _l("Peak concurrent viewers"),
    "avg_watch_sec": _l("Average watch time (seconds)"),
    "comments": _l("Comments"),
    "engaged_viewers": _l("Engaged viewers"),
    "new_followers": _l("New followers"),
    "product_click_uv": _l("Viewers who clicked a product"),
    "product_clicks": _l("Product clicks"),
    "orders": _l("Orders"),
    "buyers": _l("Buyers"),
    "inquiries": _l("Inquiries"),
    "rfqs": _l("RFQs"),
    "violations": _l("Platform warnings"),
}
_COUNT = [InputRequired(_l("Enter a whole number (0 if none)."))]
_AMOUNT = [InputRequired(_l("Enter an amount (0 if none)."))]


def _locale() -> Locale:
    return get_locale() or Locale("en")


def market_choices() -> list[SelectChoice]:
    names = _locale().territories
    return sorted((SelectChoice(code, f"{names.get(code, code)} ({code})") for code in MARKETS),
                  key=lambda choice: choice.label)


def language_choices() -> list[SelectChoice]:
    names = _locale().languages
    return [SelectChoice(tag, f"{names.get(tag, tag)} ({tag})") for tag in LANGUAGES]


def currency_choices() -> list[SelectChoice]:
    names = _locale().currencies
    return [SelectChoice(code, f"{code} — {names.get(code, code)}") for code in CURRENCIES]


def _count(label: object, description: object = "") -> IntegerField:
    return IntegerField(label, validators=_COUNT, default=0, description=description,
                        render_kw={"min": 0, "inputmode": "numeric"})


class StreamForm(FlaskForm):
    started_at = DateTimeLocalField(
        _l("Started at"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter when the stream started."))],
        description=_l("In your own time zone."))
    duration_min = IntegerField(_l("Duration (minutes)"), validators=_COUNT,
                                render_kw={"min": 1, "max": 720, "inputmode": "numeric"})
    platform = SelectField(_l("Platform"),
                           choices=[SelectChoice(p.value, label)
                                    for p, label in PLATFORM_LABELS.items()])
    market = SelectField(_l("Target market"), default="US")
    language = SelectField(_l("Language spoken"), default="en")
    stream_role = SelectField(_l("Your role in this stream"),
                              choices=[SelectChoice(r.value, label)
                                       for r, label in STREAM_ROLE_LABELS.items()])
    is_rehearsal = BooleanField(_l("Rehearsal (no public audience)"))
    # Text fields default to "": a request that leaves one out means "empty", not None.
    team_code = StringField(
        _l("Team code"), validators=[Optional(), Length(max=40)], default="",
        description=_l("The same code for everyone who ran this stream together."))
    viewers_uv = _count(COUNT_LABELS["viewers_uv"])
    views_pv = _count(COUNT_LABELS["views_pv"],
                      _l("Every entry into the room, re-entries included."))
    peak_concurrent = _count(COUNT_LABELS["peak_concurrent"])
    avg_watch_sec = _count(COUNT_LABELS["avg_watch_sec"])
    comments = _count(COUNT_LABELS["comments"])
    engaged_viewers = _count(COUNT_LABELS["engaged_viewers"],
                             _l("Viewers who commented, liked, shared or followed."))
    new_followers = _count(COUNT_LABELS["new_followers"])
    product_click_uv = _count(COUNT_LABELS["product_click_uv"])
    product_clicks = _count(COUNT_LABELS["product_clicks"])
    orders = _count(COUNT_LABELS["orders"])
    buyers = _count(COUNT_LABELS["buyers"])
    gmv = DecimalField(_l("GMV"), places=2, validators=_AMOUNT, default=0,
                       render_kw={"min": 0, "step": "0.01", "inputmode": "decimal"})
    currency = SelectField(_l("Currency"), default="USD")
    inquiries = _count(COUNT_LABELS["inquiries"],
                       _l("One-to-one buyer messages from this stream."))
    rfqs = _count(COUNT_LABELS["rfqs"], _l("Requests for quotation from this stream."))
    ad_spend = DecimalField(_l("Ad spend"), places=2, validators=_AMOUNT, default=0,
                            render_kw={"min": 0, "step": "0.01", "inputmode": "decimal"},
                            description=_l("Paid traffic, in the same currency as GMV."))
    violations = _count(COUNT_LABELS["violations"])
    recording_url = URLField(_l("Recording link"), validators=[Optional(), Length(max=500)],
                             default="",
                             description=_l("A replay link starting with https://."))
    notes_md = TextAreaField(_l("Notes and self-review"), validators=[Length(max=2000)],
                             default="",
                             description=_l("Markdown. What went well, what to change next time."),
                             render_kw={"rows": 6})

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.market.choices = market_choices()
        self.language.choices = language_choices()
        self.currency.choices = currency_choices()


class AnnotationForm(FlaskForm):
    annotation_md = TextAreaField(_l("Add a note"), validators=[Length(max=2000)],
                                  render_kw={"rows": 4})


class StreamFilterForm(FlaskForm):
    """The filters above a list of streams (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    platform = SelectField(_l("Platform"),
                           choices=[SelectChoice("", _l("All platforms"))]
                           + [SelectChoice(p.value, label) for p, label in PLATFORM_LABELS.items()])
    stream_role = SelectField(_l("Role"),
                              choices=[SelectChoice("", _l("All roles"))]
                              + [SelectChoice(r.value, label)
                                 for r, label in STREAM_ROLE_LABELS.items()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
