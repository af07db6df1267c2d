"""Case codes: short, unambiguous, self-checking references to one surrender case.

A case code is read off a printed note, spoken over a bad telephone line, typed by a person
whose keyboard may be in Cyrillic layout, and scanned from a QR code. It is made of
:data:`DATA_LENGTH` random symbols and one check symbol, printed as ``7KDM-TW3A``.

The alphabet
------------
:data:`ALPHABET` has 19 symbols (a prime, which the check needs):

- the digits 2 to 9 (no 0 and 1, which pass for O, I and L);
- the Latin letters A, E, K, M, T, which look and sound the same in Cyrillic, so a reader of
  Russian or Ukrainian says them right and a Cyrillic keyboard types an equivalent (we read
  the Cyrillic twins of these five as the Latin letters);
- the Latin letters D, F, J, N, R, W, which have no Cyrillic look-alike.

Left out: O, I, L (0, 1); B, S, Z, G (8, 5, 2, 6); C, H, P, X, Y, which a Cyrillic reader
takes for the Cyrillic letters of the same shape and says as S, N, R, Kh, U; U and V (each
other); Q (O).

The check
---------
Each symbol has a value ``v`` (its index in the alphabet) and each position ``i`` (1-based,
check symbol last) the weight ``i``. The check symbol makes ``sum(i * v_i) ≡ 0 (mod 19)``.
A single wrong symbol changes the sum by ``i * d`` with ``0 < |d| < 19``, and two swapped
neighbours by ``(w_i - w_{i+1}) * d = -d``; neither is a multiple of the prime 19, so every
single substitution and every swap of two neighbours is caught (tests check it exhaustively).
The weights stay distinct and non-zero as long as the code has fewer than 19 symbols.

One check symbol detects an error but cannot locate it; the error message names a
character only when that character cannot be part of any case code.
"""

from __future__ import annotations

import secrets
from random import Random

from safeconduct.errors import InvalidValueError

#: The symbols a case code is made of, in value order.
ALPHABET = "23456789ADEFJKMNRTW"
#: The modulus of the check: the size of the alphabet, a prime.
MODULUS = len(ALPHABET)
#: Random symbols in a code (19**7, about 894 million codes).
DATA_LENGTH = 7
#: Symbols in a complete code: the data and one check symbol.
CODE_LENGTH = DATA_LENGTH + 1
#: Where the printed form puts its hyphen.
GROUP = 4

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Cyrillic capitals that look and sound like an alphabet letter (a Cyrillic keyboard gives them).
_CYRILLIC_TWINS = {"\u0410": "A", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u0422": "T"}
_SEPARATORS = " -\u2010\u2011\u2012\u2013\u2014\u00a0"
_WHY_LEFT_OUT = {
    "0": "looks like the letter O",
    "O": "looks like the digit 0",
    "1": "looks like I and L",
    "I": "looks like 1",
    "L": "looks like 1",
    "B": "looks like 8 and reads as Cyrillic Ve, a V",
    "S": "looks like 5",
    "Z": "looks like 2",
    "G": "looks like 6",
    "C": "reads as Cyrillic Es, an S",
    "H": "reads as Cyrillic En, an N",
    "P": "reads as Cyrillic Er, an R",
    "X": "reads as Cyrillic Kha",
    "Y": "reads as Cyrillic U",
    "U": "looks like V",
    "V": "looks like U",
    "Q": "looks like O",
}

assert MODULUS == 19 and CODE_LENGTH < MODULUS  # the proof above needs both


class InvalidCaseCodeError(InvalidValueError):
    """A case code given by the user is malformed or fails its check.

    Attributes
    ----------
    position
        1-based position, in the text as given (surrounding spaces stripped, hyphens
        counted), of the character known to be wrong; ``None`` when the check fails and the
        wrong character cannot be told.
    """

    def __init__(
        self, message: str, *, field: str | None = None, position: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.position = position


def _weighted_sum(values: list[int]) -> int:
    return sum((i + 1) * v for i, v in enumerate(values)) % MODULUS


def check_symbol(data: str) -> str:
    """Return the check symbol for ``data`` (``DATA_LENGTH`` alphabet symbols)."""
    if len(data) != DATA_LENGTH or any(ch not in _VALUE for ch in data):
        raise ValueError(f"data must be {DATA_LENGTH} symbols of {ALPHABET}")
    partial = _weighted_sum([_VALUE[ch] for ch in data])
    weight = CODE_LENGTH
    # weight * c ≡ -partial (mod p)  =>  c = -partial * weight^-1
    value = (-partial * pow(weight, -1, MODULUS)) % MODULUS
    return ALPHABET[value]


def is_well_formed(code: str) -> bool:
    """True if ``code`` (canonical: no separators, upper case) is a complete, valid case code."""
    return (
        len(code) == CODE_LENGTH
        and all(ch in _VALUE for ch in code)
        and _weighted_sum([_VALUE[ch] for ch in code]) == 0
    )


def generate_case_code(rng: Random | None = None) -> str:
    """Return a new random case code in canonical form (``"7KDMTW3A"``).

    Parameters
    ----------
    rng
        A seeded :class:`random.Random` for reproducible codes in tests; by default the
        operating system's secure source (:mod:`secrets`), since codes must not be guessable.
    """
    choose = rng.choice if rng is not None else secrets.choice
    data = "".join(choose(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_symbol(data)


def format_case_code(code: str) -> str:
    """The printed form of a canonical code: ``"7KDM-TW3A"``."""
    return f"{code[:GROUP]}-{code[GROUP:]}"


def parse_case_code(text: str, field: str = "case_code") -> str:
    """Validate a case code as typed and return its canonical form.

    Case, spaces and hyphens are ignored, and the Cyrillic twins of A, E, K, M and T (as a
    Cyrillic keyboard types them) are read as the Latin letters.

    Parameters
    ----------
    text
        The code as typed.
    field
        The name of the input the code came from, carried by the error.

    Raises
    ------
    InvalidCaseCodeError
        One line: which character is not used in case codes (and why), a wrong length, or a
        failed check (a mistyped character or two swapped neighbours); its ``field`` is
        ``field``.
    """
    shown = text.strip()
    canonical: list[str] = []
    for pos, raw in enumerate(shown, start=1):
        typed = raw.upper()
        if typed in _SEPARATORS:
            continue
        ch = _CYRILLIC_TWINS.get(typed, typed)
        if ch not in _VALUE:
            raise InvalidCaseCodeError(
                f"character {pos} of {shown!r}, {ch!r}, {_why_not(ch)}; "
                f"case codes use only {ALPHABET}",
                field=field,
                position=pos,
            )
        canonical.append(ch)
    if not canonical:
        raise InvalidCaseCodeError(
            f"empty case code; give {CODE_LENGTH} characters such as "
            f"{format_case_code(example_code())}, or leave it out to generate one",
            field=field,
        )
    if len(canonical) != CODE_LENGTH:
        raise InvalidCaseCodeError(
            f"case code {shown!r} has {len(canonical)} characters; "
            f"it needs {CODE_LENGTH} ({DATA_LENGTH} and a check character)",
            field=field,
        )
    code = "".join(canonical)
    if not is_well_formed(code):
        raise InvalidCaseCodeError(
            f"case code {shown!r} fails its check: one character is mistyped or "
            "two neighbours are swapped; copy it again from the case record",
            field=field,
        )
    return code


def example_code() -> str:
    """A fixed valid code for examples and messages."""
    data = "7KDMTW3"
    return data + check_symbol(data)


def _why_not(ch: str) -> str:
    if ch in _WHY_LEFT_OUT:
        return f"is not used in case codes (it {_WHY_LEFT_OUT[ch]})"
    if "\u0400" <= ch <= "\u04ff":
        return "is a Cyrillic letter with no Latin twin"
    return "is not used in case codes"
