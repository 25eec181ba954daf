"""Scores the assessment tests share."""

import datetime as dt

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
ALL_PROFICIENT = {"product_explanation": 3, "language_delivery": 3, "interaction_lead_capture": 3,
                  "structure_pacing": 3, "compliance": 3, "visual_technical": 3, "teamwork": 3}
