"""Numbers of a configured series: ``PW-000001``, ``PW-000002``, ... with no gaps.

The store hands out the next index of a series atomically; this module only turns an index
into its printed number and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safeconduct.errors import InvalidValueError

_PREFIX = re.compile(r"[A-Z0-9][A-Z0-9/-]{0,15}")


@dataclass(frozen=True)
class PrisonerSeries:
    """A series of numbers: a prefix and the index, zero-padded to ``width`` digits.

    Attributes
    ----------
    prefix
        Upper-case letters, digits, ``-`` and ``/``, 1 to 16 characters (``"PW-"``).
    width
        Digits the index is padded to (1 to 12); a larger index simply has more digits.
    field
        The input a number of this series is named as in errors (``"prisoner_number"``).
    """

    prefix: str
    width: int = 6
    field: str = "prisoner_number"

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not _PREFIX.fullmatch(self.prefix):
            raise InvalidValueError(
                f"a number series prefix is 1 to 16 upper-case letters, digits, '-' or '/', "
                f"not {self.prefix!r}",
                field="series",
            )
        if isinstance(self.width, bool) or not isinstance(self.width, int):
            raise InvalidValueError("a series width is a whole number of digits", field="series")
        if not 1 <= self.width <= 12:
            raise InvalidValueError(
                f"a series width is 1 to 12 digits, not {self.width}", field="series"
            )

    @property
    def name(self) -> str:
        """The key the store counts this series under (``"prisoner_number:PW-"``)."""
        return f"{self.field}:{self.prefix}"

    def number(self, n: int) -> str:
        """The printed number of index ``n`` (1 is the first): ``number(7) == "PW-000007"``.

        Raises
        ------
        InvalidValueError
            ``n`` is not a whole number of at least 1.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InvalidValueError(
                f"a series index is a whole number from 1, not {n!r}", field=self.field
            )
        return f"{self.prefix}{n:0{self.width}d}"

    def index_of(self, number: str) -> int:
        """The index of ``number`` in this series (``index_of(number(n)) == n``).

        Surrounding spaces and the letter case are ignored.

        Raises
        ------
        InvalidValueError
            With ``field`` of this series, when ``number`` is not one of its numbers.
        """
        text = number.strip().upper() if isinstance(number, str) else ""
        digits = text[len(self.prefix) :] if text.startswith(self.prefix) else ""
        ok = (
            digits.isascii()
            and digits.isdigit()
            and len(digits) >= self.width
            # A number wider than the padding has no leading zero: only one spelling each.
            and (len(digits) == self.width or digits[0] != "0")
            and int(digits) >= 1
        )
        if not ok:
            raise InvalidValueError(
                f"{number!r} is not a number of the series {self.prefix}"
                f"{'0' * (self.width - 1)}1, {self.prefix}{'0' * (self.width - 1)}2, ...",
                field=self.field,
            )
        return int(digits)


#: Prisoner numbers unless the service is configured otherwise.
DEFAULT_SERIES = PrisonerSeries("PW-")
#: Receipt numbers for money and valuables taken (Art. 18): a series of their own.
RECEIPT_SERIES = PrisonerSeries("R-", field="receipt_number")
