"""Generated students and their practice streams: who streams where, and how well, over time.

Everything about a student is drawn from generators seeded by the run's seed and the student's
number, so a student comes out the same in a data set of any size.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from academy.practice.models import TRACK_STREAM_ROLES, Platform, StreamRole

TEAM_SIZE = 3
TEAM_STREAM_SHARE = 0.15
CENT = Decimal("0.01")


# Share of streams per platform, audience size per hour, whether buyers are businesses, and the
# markets (with weights) a platform's streams are aimed at.
PLATFORMS: dict[Platform, tuple[float, int, bool, dict[str, float]]] = {
    Platform.ALIBABA: (0.34, 320, True, {"US": 25, "DE": 8, "GB": 7, "AE": 6, "SA": 5, "IN": 6,
                                         "BR": 6, "MX": 5, "NG": 4, "AU": 5, "CA": 5, "FR": 4,
                                         "ES": 4, "PL": 3, "TR": 3, "RU": 4}),
    Platform.TIKTOK_SHOP: (0.15, 1500, False, {"US": 30, "GB": 15, "ID": 15, "MY": 10,
                                               "TH": 10, "VN": 10, "PH": 10}),
    Platform.AMAZON_LIVE: (0.08, 800, False, {"US": 60, "GB": 15, "DE": 15, "JP": 10}),
    Platform.ALIEXPRESS: (0.08, 600, False, {"RU": 20, "BR": 20, "ES": 15, "FR": 10, "PL": 10,
                                             "US": 10, "KR": 5, "SA": 10}),
    Platform.ALIBABA_1688: (0.07, 400, True, {"CN": 1}),
    Platform.LAZADA: (0.06, 900, False, {"MY": 1, "TH": 1, "ID": 1, "PH": 1, "VN": 1, "SG": 1}),
    Platform.SHOPEE: (0.06, 1000, False, {"MY": 1, "TH": 1, "ID": 1, "PH": 1, "VN": 1, "SG": 1,
                                          "BR": 1}),
    Platform.DOUYIN: (0.05, 3000, False, {"CN": 1}),
    Platform.TAOBAO: (0.04, 2500, False, {"CN": 1}),
    Platform.GRAVY_LIVE: (0.02, 200, False, {"US": 1}),
    Platform.BULBUL: (0.02, 150, False, {"IN": 1}),
    Platform.OTHER: (0.03, 200, True, {"US": 2, "GB": 1, "AE": 1}),
}
# The buyer's language per market; B2B streams to non-English markets are half in English.
LANGUAGE_OF = {"US": "en", "GB": "en", "AU": "en", "CA": "en", "NG": "en", "SG": "en",
               "IN": "hi", "DE": "de", "FR": "fr", "ES": "es", "MX": "es", "BR": "pt",
               "RU": "ru", "AE": "ar", "SA": "ar", "JP": "ja", "KR": "ko", "ID": "id", "MY": "ms",
               "TH": "th", "VN": "vi", "PH": "fil", "CN": "zh", "TR": "tr", "PL": "pl"}
# Local currency per market and units per US dollar; other streams are priced in dollars.
LOCAL_CURRENCY = {"CN": ("CNY", 7.2), "MY": ("MYR", 4.7), "TH": ("THB", 36), "ID": ("IDR", 15800),
                  "VN": ("VND", 24500), "PH": ("PHP", 56), "SG": ("SGD", 1.35),
                  "BR": ("BRL", 5.0), "JP": ("JPY", 150), "GB": ("GBP", 0.79)}
TRACK_SHARE = {"host": 0.5, "operator": 0.3, "planner": 0.2}
SURNAMES = (("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"),
            ("Yang", "杨"), ("Huang", "黄"), ("Zhao", "赵"), ("Wu", "吴"), ("Zhou", "周"),
            ("Xu", "徐"), ("Sun", "孙"), ("Ma", "马"), ("Zhu", "朱"), ("Hu", "胡"), ("Guo", "郭"),
            ("He", "何"), ("Lin", "林"), ("Luo", "罗"), ("Gao", "高"))
GIVEN_NAMES = (("Wei", "伟"), ("Fang", "芳"), ("Min", "敏"), ("Jing", "静"), ("Li", "丽"),
               ("Qiang", "强"), ("Lei", "磊"), ("Jun", "军"), ("Yang", "洋"), ("Yong", "勇"),
               ("Yan", "艳"), ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"),
               ("Xia", "霞"), ("Hui", "慧"), ("Yu", "宇"), ("Hao", "浩"), ("Xin", "欣"))
TRACK_ROLE_WEIGHTS = {"host": (0.7, 0.2, 0.1), "operator": (0.5, 0.5), "planner": (1.0,)}


@dataclass
class StudentProfile:
    """One generated student: their track, where they stream, and how their skill grows."""

    index: int
    display_name: str
    locale: str
    track: str
    joined_at: dt.datetime
    first_skill: float
    best_skill: float
    platforms: list[Platform]
    platform_weights: list[float]
    id: int = 0  # the user id, once written

    def skill(self, share_of_history: float) -> float:
        """Skill from 0 to 1 after ``share_of_history`` of the student's streams: fast at first."""
        growth = 1 - math.exp(-3 * share_of_history)
        return self.first_skill + (self.best_skill - self.first_skill) * growth

    def share_of_history(self, moment: dt.datetime, now: dt.datetime) -> float:
        return max(0.0, (moment - self.joined_at) / (now - self.joined_at))


def seeded(*parts: object) -> random.Random:
    """A generator seeded by ``parts``: demo data must come out the same, not be unguessable."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311


def new_profile(index: int, seed: int, now: dt.datetime) -> StudentProfile:
    rng = seeded(seed, "student", index)
    (surname, surname_zh), (given, given_zh) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    track = rng.choices(list(TRACK_SHARE), weights=list(TRACK_SHARE.values()))[0]
    platforms = list(PLATFORMS)
    # Each student streams mostly on a few platforms: the college's mix, reshuffled per person.
    weights = [PLATFORMS[p][0] * rng.lognormvariate(0, 0.8) for p in platforms]
    first = rng.uniform(0.05, 0.3)
    return StudentProfile(index=index, display_name=f"{surname} {given} {surname_zh}{given_zh}",
                          locale="zh" if rng.random() < 0.6 else "en", track=track,
                          joined_at=now - dt.timedelta(days=rng.uniform(200, 420)),
                          first_skill=first, best_skill=min(0.97, first + rng.uniform(0.3, 0.7)),
                          platforms=platforms, platform_weights=weights)


def _stream_times(student: StudentProfile, count: int, rng: random.Random,
                  now: dt.datetime) -> list[dt.datetime]:
    """Start times between joining and yesterday, 09:00–22:00 in China (UTC+8), in order."""
    span = (now - dt.timedelta(days=1) - student.joined_at).total_seconds()
    times = []
    for _ in range(count):
        day = student.joined_at + dt.timedelta(seconds=rng.uniform(0, span))
        hour = rng.choice((1, 2, 6, 8, 11, 12, 13, 14))  # 09:00–22:00 in Shanghai, as UTC
        times.append(day.replace(hour=hour, minute=rng.choice((0, 15, 30, 45)), second=0,
                                 microsecond=0))
    return sorted(times)


def _stream_role(track: str, rng: random.Random) -> StreamRole:
    if rng.random() < 0.08:  # students try the other seats in the room now and then
        return rng.choice(list(StreamRole))
    return rng.choices(TRACK_STREAM_ROLES[track], weights=TRACK_ROLE_WEIGHTS[track])[0]


def _amount(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)


def stream_row(student: StudentProfile, started_at: dt.datetime, share_of_history: float,
               rng: random.Random, now: dt.datetime, *, team_code: str = "",
               stream_role: StreamRole | None = None) -> dict[str, Any]:
    """One practice stream's numbers, consistent as the logging rules require."""
    skill = min(1.0, max(0.0, student.skill(share_of_history) + rng.gauss(0, 0.05)))
    platform = rng.choices(student.platforms, weights=student.platform_weights)[0]
    _share, audience, business, markets = PLATFORMS[platform]
    market = rng.choices(list(markets), weights=list(markets.values()))[0]
    language = LANGUAGE_OF.get(market, "en")
    if business and language not in ("en", "zh") and rng.random() < 0.5:
        language = "en"
    rehearsal = rng.random() < 0.1 * (1.2 - skill)
    duration = 30 if rehearsal else int(min(360, max(20, rng.lognormvariate(4.45, 0.35))))
    hours = duration / 60
    if rehearsal:
        uv = rng.randint(3, 40)
    else:
        uv = max(5, int(audience * hours ** 0.6 * (0.4 + skill) * rng.lognormvariate(0, 0.5)))
    click_uv = int(uv * (0.04 + 0.16 * skill) * rng.uniform(0.7, 1.3))
    buyers = int(click_uv * (0.01 + 0.05 * skill if business else 0.03 + 0.1 * skill)
                 * rng.uniform(0.5, 1.5))
    orders = buyers + (int(buyers * rng.uniform(0, 0.3)) if buyers else 0)
    order_value_usd = rng.lognormvariate(6.2, 0.8) if business else rng.lognormvariate(3.2, 0.5)
    currency, per_usd = LOCAL_CURRENCY.get(market, ("USD", 1.0))
    if business and market != "CN":
        currency, per_usd = "USD", 1.0
    inquiries = int(uv * (0.01 + 0.03 * skill) * rng.uniform(0.5, 1.5)) if business \
        else int(uv * 0.002 * rng.random())
    ad_spend = rng.uniform(20, 300) * per_usd if rng.random() < 0.3 and not rehearsal else 0.0
    violation_chance = 0.5 * (1 - skill) ** 2
    logged_at = min(now, started_at + dt.timedelta(minutes=duration + 30))
    return {
        "student_id": student.id, "started_at": started_at, "duration_min": duration,
        "platform": platform, "market": market, "language": language,
        "stream_role": stream_role or _stream_role(student.track, rng),
        "is_rehearsal": rehearsal, "team_code": team_code,
        "viewers_uv": uv, "views_pv": int(uv * rng.uniform(1.3, 2.2)),
        "peak_concurrent": max(1, int(uv * rng.uniform(0.05, 0.2))),
        "avg_watch_sec": min(duration * 60, int(rng.lognormvariate(4.0, 0.4) * (0.6 + skill))),
        "comments": int(uv * (0.1 + 0.4 * skill) * rng.uniform(0.5, 1.5)),
        "engaged_viewers": min(uv, int(uv * (0.05 + 0.15 * skill) * rng.uniform(0.7, 1.3))),
        "new_followers": min(uv, int(uv * (0.01 + 0.04 * skill) * rng.uniform(0.5, 1.5))),
        "product_click_uv": click_uv,
        "product_clicks": click_uv + int(click_uv * rng.uniform(0.2, 1.5)),
        "orders": orders, "buyers": buyers,
        "gmv": _amount(orders * order_value_usd * per_usd), "currency": currency,
        "inquiries": inquiries, "rfqs": int(inquiries * rng.uniform(0, 0.3)),
        "ad_spend": _amount(ad_spend),
        "violations": sum(rng.random() < violation_chance for _ in range(3)),
        "recording_url": "", "notes_md": "", "notes_html": "", "annotation_md": "",
        "annotation_html": "", "created_at": logged_at, "updated_at": logged_at,
    }


def _team_roles(members: list[StudentProfile]) -> list[StreamRole]:
    """Who plays which seat in a team stream: the host track hosts, and so on."""
    first = {"host": StreamRole.HOST, "operator": StreamRole.FIELD_CONTROL,
             "planner": StreamRole.PLANNER}
    taken: set[StreamRole] = set()
    roles = []
    for member in members:
        role = first[member.track]
        if role in taken:
            role = {StreamRole.HOST: StreamRole.DEPUTY_HOST,
                    StreamRole.FIELD_CONTROL: StreamRole.OPERATOR}.get(role, StreamRole.ASSISTANT)
        taken.add(role)
        roles.append(role)
    return roles


def stream_rows(batch: list[StudentProfile], streams_per_student: int, seed: int,
                now: dt.datetime) -> list[dict[str, Any]]:
    """About ``streams_per_student`` streams for each student of ``batch``.

    Students ``3k`` to ``3k + 2`` form a team whose members also stream together now and then:
    one row each, sharing a team code. The team's times come from its first member and each
    member's numbers from their own generator, so a student's rows do not depend on how many
    teammates the data set holds.
    """
    rows: list[dict[str, Any]] = []
    for team_number, members in itertools.groupby(batch, lambda s: s.index // TEAM_SIZE):
        team = list(members)
        team_streams = int(streams_per_student * TEAM_STREAM_SHARE) if len(team) > 1 else 0
        shared = _stream_times(team[0], team_streams, seeded(seed, "team", team_number), now)
        for member, role in zip(team, _team_roles(team), strict=True):
            rng = seeded(seed, "team streams", member.index)
            for number, started in enumerate(shared):
                rows.append(stream_row(member, started, member.share_of_history(started, now),
                                       rng, now, team_code=f"T{team_number:05d}-{number + 1:03d}",
                                       stream_role=role))
        for member in team:
            rng = seeded(seed, "streams", member.index)
            own = max(1, int(rng.uniform(0.75, 1.25) * streams_per_student) - team_streams)
            times = _stream_times(member, own, rng, now)
            for number, started in enumerate(times):
                rows.append(stream_row(member, started, number / len(times), rng, now))
    return rows
