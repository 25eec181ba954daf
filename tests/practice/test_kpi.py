"""The KPI formulas of shared/research/domain.md §4, with worked numbers."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from academy.practice.kpi import KPIS, derive_kpis
from tests.practice.factories import stream_input


def test_worked_example_matches_hand_calculation() -> None:
    # 420 UV, 800 PV, 63 engaged, 21 new followers, 84 product-click UV, 130 clicks,
    # 9 orders from 6 buyers, GMV 3,600.00, 14 inquiries from 210.00 of ads.
    kpis = derive_kpis(stream_input())
    assert kpis["interaction_rate"] == Decimal("0.15")          # 63 / 420
    assert kpis["follower_conversion"] == Decimal("0.05")       # 21 / 420
    assert kpis["product_ctr"] == Decimal("0.2")                # 84 / 420
    assert kpis["conversion"] == Decimal(6) / Decimal(84)       # 6 / 84 = 7.14 %
    assert kpis["whole_room_conversion"] == Decimal(6) / Decimal(420)
    assert kpis["ctor"] == Decimal(9) / Decimal(130)
    assert kpis["gpm"] == Decimal("4500")                       # 3,600 × 1000 / 800
    assert kpis["uv_value"] == Decimal(3600) / Decimal(420)     # 8.57 per viewer
    assert kpis["aov"] == Decimal("600")                        # 3,600 / 6
    assert kpis["inquiry_rate"] == Decimal(14) / Decimal(420)
    assert kpis["cost_per_inquiry"] == Decimal("15")            # 210 / 14


@pytest.mark.parametrize(("zeroed", "undefined"), [
    ("viewers_uv", {"interaction_rate", "follower_conversion", "product_ctr",
                    "whole_room_conversion", "uv_value", "inquiry_rate"}),
    ("views_pv", {"gpm"}),
    ("buyers", {"aov"}),
    ("product_click_uv", {"conversion"}),
    ("product_clicks", {"ctor"}),
    ("inquiries", {"cost_per_inquiry"}),
])
def test_a_zero_denominator_gives_none(zeroed: str, undefined: set[str]) -> None:
    kpis = derive_kpis(stream_input(**{zeroed: 0}))
    assert {key for key, value in kpis.items() if value is None} == undefined


def test_every_kpi_has_a_label_and_an_explanation() -> None:
    assert len({kpi.key for kpi in KPIS}) == len(KPIS) == 11
    assert all(str(kpi.label) and str(kpi.explanation) for kpi in KPIS)


counts = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def consistent_streams(draw):  # type: ignore[no-untyped-def]
    """Rows that obey the form's funnel rules (what validation lets through)."""
    uv = draw(counts)
    click_uv = draw(st.integers(0, uv))
    buyers = draw(st.integers(0, click_uv))
    return stream_input(
        viewers_uv=uv, views_pv=draw(st.integers(uv, uv + 10_000_000)),
        engaged_viewers=draw(st.integers(0, uv)), new_followers=draw(st.integers(0, uv)),
        product_click_uv=click_uv, product_clicks=draw(st.integers(click_uv, click_uv * 5 + 1)),
        buyers=buyers, orders=draw(st.integers(buyers, buyers * 5 + 1)),
        inquiries=draw(st.integers(0, uv)),
    )


RATES_WITHIN_ONE = ("interaction_rate", "follower_conversion", "product_ctr", "conversion",
                    "whole_room_conversion", "inquiry_rate")


@given(consistent_streams())
def test_rates_of_valid_rows_stay_between_0_and_1(stream) -> None:  # type: ignore[no-untyped-def]
    kpis = derive_kpis(stream)
    for key in RATES_WITHIN_ONE:
        assert kpis[key] is None or 0 <= kpis[key] <= 1
    assert kpis["ctor"] is None or kpis["ctor"] >= 0
