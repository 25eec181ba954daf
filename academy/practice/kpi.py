"""The trade's KPIs of a live stream: the one place their formulas live.

Every KPI here is a ratio of two logged numbers (shared/research/domain.md §4), so each is
declared once as numerator, denominator and scale. The same declaration gives the value for one
stream in Python (exact, Decimal) and a SQL expression for aggregates such as medians, so the
site and the database can never disagree about a formula. A zero denominator gives None, shown
as "—": a rate of nothing is unknown, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

MONEY_FIELDS = frozenset({"gmv", "ad_spend"})


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    numerator: str  # a practice_stream column
    denominator: str
    scale: int
    kind: Literal["rate", "money"]  # a rate is shown as a percentage, money in the currency
    label: Any
    explanation: Any

    def value(self, stream: Any) -> Decimal | None:
        """Compute the KPI for one stream (any object with the logged fields as attributes)."""
        denominator = Decimal(getattr(stream, self.denominator) or 0)
        if denominator == 0:
            return None
        return Decimal(getattr(stream, self.numerator) or 0) * self.scale / denominator

    def sql(self, table: Any) -> sa.ColumnElement[float]:
        """Express the KPI in SQL over ``table``'s columns (NULL for a zero denominator).

        Money columns hold whole cents (academy.db.TwoPlaces), hence the division by 100.
        """
        numerator = sa.type_coerce(getattr(table, self.numerator), sa.BigInteger)
        amount = sa.cast(numerator, sa.Float) / 100 if self.numerator in MONEY_FIELDS \
            else sa.cast(numerator, sa.Float)
        denominator = sa.type_coerce(getattr(table, self.denominator), sa.BigInteger)
        return sa.case((denominator == 0, sa.null()), else_=amount * self.scale / denominator)


KPIS = (
    KpiDefinition("interaction_rate", "engaged_viewers", "viewers_uv", 1, "rate",
                  _l("Interaction rate"),
                  _l("Viewers who commented, liked, shared or followed, per unique viewer.")),
    KpiDefinition("follower_conversion", "new_followers", "viewers_uv", 1, "rate",
                  _l("Follower conversion"), _l("New followers per unique viewer.")),
    KpiDefinition("product_ctr", "product_click_uv", "viewers_uv", 1, "rate",
                  _l("Product CTR"), _l("Share of viewers who clicked a product.")),
    KpiDefinition("conversion", "buyers", "product_click_uv", 1, "rate",
                  _l("Conversion"), _l("Buyers per viewer who clicked a product.")),
    KpiDefinition("whole_room_conversion", "buyers", "viewers_uv", 1, "rate",
                  _l("Whole-room conversion"), _l("Buyers per unique viewer of the stream.")),
    KpiDefinition("ctor", "orders", "product_clicks", 1, "rate",
                  _l("CTOR"), _l("Orders per product click (click-to-order rate).")),
    KpiDefinition("gpm", "gmv", "views_pv", 1000, "money",
                  _l("GPM"),
                  _l("GMV per thousand views: how well the room turns traffic into sales.")),
    KpiDefinition("uv_value", "gmv", "viewers_uv", 1, "money",
                  _l("UV value"), _l("GMV per unique viewer.")),
    KpiDefinition("aov", "gmv", "buyers", 1, "money",
                  _l("AOV"), _l("Average order value per buyer (客单价).")),
    KpiDefinition("inquiry_rate", "inquiries", "viewers_uv", 1, "rate",
                  _l("Inquiry rate"), _l("B2B inquiries per unique viewer.")),
    KpiDefinition("cost_per_inquiry", "ad_spend", "inquiries", 1, "money",
                  _l("Cost per inquiry"), _l("Paid-traffic spend per inquiry received.")),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


def derive_kpis(stream: Any) -> dict[str, Decimal | None]:
    """Every KPI of one stream, by key."""
    return {kpi.key: kpi.value(stream) for kpi in KPIS}
