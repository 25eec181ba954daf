"""Cells of the files people open in a spreadsheet (CSV, Excel): the one rule against formulas.

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
run by Excel and WPS when the file opens (CSV/formula injection, OWASP). Every export and
download writes its text cells through ``safe_cell``.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell a spreadsheet shows and never evaluates.

    Text starting like a formula gets a leading apostrophe (shown by no spreadsheet); None
    becomes an empty cell; numbers and dates stay as they are, so Excel still sums them.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return f"'{value}"
    return value
