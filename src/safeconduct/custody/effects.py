"""Money and valuables taken from a prisoner, against an itemised receipt (Art. 18 GC III).

Personal effects stay with the prisoner; what is taken is listed item by item with its
amount and currency, and the prisoner keeps a copy of the numbered receipt.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from safeconduct.errors import InvalidValueError


@functools.cache
def _currencies() -> frozenset[str]:
    """The ISO 4217 codes (CLDR's list, through Babel): money and precious metals."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


#: The most characters an item's description may hold.
MAX_DESCRIPTION = 200
#: The most items one receipt lists.
MAX_ITEMS = 50


@dataclass(frozen=True)
class ReceiptItem:
    """One item taken: what it is, its amount and currency.

    Attributes
    ----------
    description
        What was taken, as the reception team describes it (``"banknotes"``).
    amount
        Its amount (money) or value, greater than zero.
    currency
        ISO 4217 code, three upper-case letters (``"RUB"``, ``"UAH"``, ``"EUR"``).

    Raises
    ------
    InvalidValueError
        With ``field="items"``, naming the item: an empty or over-long description, a
        missing, non-positive or non-decimal amount, a currency that is not ISO 4217 form.
    """

    description: str
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        desc = self.description
        if not isinstance(desc, str) or not desc.strip():
            raise InvalidValueError("an item has no description; say what was taken", field="items")
        if len(desc.strip()) > MAX_DESCRIPTION:
            raise InvalidValueError(
                f"the item {desc.strip()[:30]!r}... is described in {len(desc.strip())} "
                f"characters; at most {MAX_DESCRIPTION} fit",
                field="items",
            )
        object.__setattr__(self, "description", desc.strip())
        amount = self.amount
        if amount is None or isinstance(amount, bool) or not isinstance(amount, Decimal):
            raise InvalidValueError(
                f"the item {desc.strip()!r} has no amount; give its amount (a decimal number)",
                field="items",
            )
        if not amount.is_finite() or amount <= 0:
            raise InvalidValueError(
                f"the item {desc.strip()!r} has the amount {amount}; an amount is more than 0",
                field="items",
            )
        currency = self.currency.strip().upper() if isinstance(self.currency, str) else ""
        if currency not in _currencies():
            raise InvalidValueError(
                f"the item {desc.strip()!r} has the currency {self.currency!r}; give its ISO "
                "4217 code, such as RUB, UAH, EUR or USD",
                field="items",
            )
        object.__setattr__(self, "currency", currency)


def receipt_item_from_json(doc: Mapping[str, Any]) -> ReceiptItem:
    """One item from ``{"description": ..., "amount": "12.50", "currency": "EUR"}``.

    The amount may be a JSON number or a decimal text (a text keeps every digit).

    Raises
    ------
    InvalidValueError
        With ``field="items"``: not an object, an unknown key, a missing or bad amount.
    """
    if not isinstance(doc, Mapping):
        raise InvalidValueError(
            "an item is an object with description, amount and currency", field="items"
        )
    unknown = sorted(str(k) for k in doc if k not in ("description", "amount", "currency"))
    if unknown:
        raise InvalidValueError(
            f"an item has the unknown key {unknown[0]!r}; give description, amount and currency",
            field="items",
        )
    return ReceiptItem(
        description=doc.get("description"),  # type: ignore[arg-type]
        amount=parse_amount(doc.get("amount"), what=str(doc.get("description") or "")),
        currency=doc.get("currency"),  # type: ignore[arg-type]
    )


def parse_amount(value: object, *, what: str = "") -> Decimal:
    """An amount from a number or a decimal text (``"12.50"``, ``"12,50"``).

    Raises
    ------
    InvalidValueError
        With ``field="items"``: nothing given, or not a decimal number.
    """
    label = f"the item {what!r}" if what else "an item"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidValueError(f"{label} has no amount; give its amount", field="items")
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidValueError(f"{label} has the amount {value!r}; give a number", field="items")
    try:
        # A float goes through its shortest text so that 12.5 stays 12.5.
        amount = Decimal(value.strip().replace(",", ".") if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise InvalidValueError(
            f"{label} has the amount {value!r}; give a decimal number such as 12.50",
            field="items",
        ) from None
    return amount


def check_items(items: Iterable[ReceiptItem]) -> tuple[ReceiptItem, ...]:
    """The items of one receipt: at least one, at most :data:`MAX_ITEMS`.

    Raises
    ------
    InvalidValueError
        With ``field="items"``.
    """
    found = tuple(items)
    if not found:
        raise InvalidValueError("a receipt lists at least one item", field="items")
    if len(found) > MAX_ITEMS:
        raise InvalidValueError(
            f"a receipt lists at most {MAX_ITEMS} items, not {len(found)}", field="items"
        )
    for item in found:
        if not isinstance(item, ReceiptItem):
            raise InvalidValueError(f"{item!r} is not a receipt item", field="items")
    return found


@dataclass(frozen=True)
class Receipt:
    """A numbered receipt for what was taken (Art. 18): the prisoner keeps a copy.

    Attributes
    ----------
    number
        From the receipt series (``"R-000001"``).
    items
        What was taken, at least one item.
    issued_on
        The date of issue.
    place
        Where it was issued.
    language
        ISO 639-1 code of the prisoner's language (the receipt is printed in it too).
    prisoner_name
        The name as given (any script), or ``"not given"``.
    prisoner_number
        The prisoner number once registered, else None.
    """

    number: str
    items: tuple[ReceiptItem, ...]
    issued_on: date
    place: str
    language: str
    prisoner_name: str
    prisoner_number: str | None = None

    def totals(self) -> dict[str, Decimal]:
        """The sum of the amounts per currency, currencies in alphabetical order."""
        sums: dict[str, Decimal] = {}
        for item in self.items:
            sums[item.currency] = sums.get(item.currency, Decimal(0)) + item.amount
        return dict(sorted(sums.items()))
