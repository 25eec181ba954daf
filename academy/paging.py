"""Lists of students shown a page at a time: the one shape of such a page, and its size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")

# Students a page of the class overview and the class gradebook: a class of 2,000 costs the
# same per page as a class of 50, because only the page's students are aggregated.
STUDENTS_PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a long list: its rows, its number (from 1), and whether another follows."""

    rows: list[Row]
    page: int
    has_next: bool
