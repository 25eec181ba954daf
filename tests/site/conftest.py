"""The order-class world (firms, staff, students, cohorts at any stage) for the dashboards."""

from tests.cohorts.conftest import catalogue, make_cohort, make_internal_cohort, world

__all__ = ["catalogue", "make_cohort", "make_internal_cohort", "world"]
