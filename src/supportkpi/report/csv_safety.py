"""CSV cells a spreadsheet would run as a formula, made inert (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'``: the spreadsheet shows it as text and never evaluates it. Numbers are left
alone, and so is text that is only a number (``"-5"``, ``"+1.5e3"``): no spreadsheet runs
those, and prefixing them would turn figures into text.

Applied to the dashboard's CSV downloads, which people open in Excel or Sheets. The CLI's
``--format csv`` stays raw on purpose: data engineers pipe it into other tools and load it
back, where a ``'`` would be a changed value, not a safety.

>>> neutralise_cell('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> neutralise_cell(-5), neutralise_cell("-5"), neutralise_cell("-2+3")
(-5, '-5', "'-2+3")
"""

from __future__ import annotations

import re

#: The first characters that make a spreadsheet read a cell as a formula (or a hidden one:
#: a tab or CR in front is trimmed by some importers, leaving the formula behind).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: ASCII digits only: ``\d`` would take other scripts' digits, which no spreadsheet reads as
#: a number.
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def neutralise_cell(value: object) -> object:
    """``value`` as is, or with a leading ``'`` when it is text a spreadsheet would run."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value
