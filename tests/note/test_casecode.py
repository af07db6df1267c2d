"""Case codes: an unambiguous alphabet and a check that catches every single error and swap."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import (
    ALPHABET,
    CODE_LENGTH,
    DATA_LENGTH,
    InvalidCaseCodeError,
    check_symbol,
    example_code,
    format_case_code,
    generate_case_code,
    is_well_formed,
    parse_case_code,
)

RNG = random.Random(20221101)
SAMPLE = [generate_case_code(RNG) for _ in range(150)]


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def test_alphabet_is_unambiguous_and_prime() -> None:
    assert _is_prime(len(ALPHABET))
    assert len(set(ALPHABET)) == len(ALPHABET)
    for confusable in "01OILBSZGCHPXYUVQ":
        assert confusable not in ALPHABET
    assert len(ALPHABET) > CODE_LENGTH  # weights 1..n stay distinct and non-zero


def test_generated_codes_are_valid_and_vary() -> None:
    assert all(is_well_formed(c) and len(c) == CODE_LENGTH for c in SAMPLE)
    assert len(set(SAMPLE)) == len(SAMPLE)
    fresh = {generate_case_code() for _ in range(20)}
    assert len(fresh) == 20 and all(is_well_formed(c) for c in fresh)


def test_seeded_generation_is_reproducible() -> None:
    assert generate_case_code(random.Random(5)) == generate_case_code(random.Random(5))


def test_every_single_substitution_is_caught_exhaustively() -> None:
    for code in SAMPLE:
        for pos in range(CODE_LENGTH):
            for ch in ALPHABET:
                if ch != code[pos]:
                    assert not is_well_formed(code[:pos] + ch + code[pos + 1 :]), (code, pos, ch)


def test_every_neighbour_swap_is_caught_exhaustively() -> None:
    for code in SAMPLE:
        for pos in range(CODE_LENGTH - 1):
            a, b = code[pos], code[pos + 1]
            if a != b:
                swapped = code[:pos] + b + a + code[pos + 2 :]
                assert not is_well_formed(swapped), (code, pos)


def _repair(body: list[str], avoid: set[int]) -> str:
    """Make ``body`` a valid code by changing one position outside ``avoid``."""
    j = next(k for k in range(CODE_LENGTH) if k not in avoid)
    for ch in ALPHABET:
        body[j] = ch
        if is_well_formed("".join(body)):
            return "".join(body)
    raise AssertionError("some symbol at a position of non-zero weight always repairs")


def test_every_swap_of_every_pair_at_every_position() -> None:
    # Exhaustive over positions x ordered pairs of distinct symbols, check symbol included.
    for pos in range(CODE_LENGTH - 1):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                body = list(example_code())
                body[pos], body[pos + 1] = a, b
                good = _repair(body, {pos, pos + 1})
                swapped = good[:pos] + b + a + good[pos + 2 :]
                assert not is_well_formed(swapped), (good, pos)


codes = st.text(alphabet=ALPHABET, min_size=DATA_LENGTH, max_size=DATA_LENGTH).map(
    lambda d: d + check_symbol(d)
)


@given(codes, st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_property_substitution_is_caught(code: str, pos: int, ch: str) -> None:
    changed = code[:pos] + ch + code[pos + 1 :]
    assert is_well_formed(changed) == (ch == code[pos])


@given(codes, st.integers(0, CODE_LENGTH - 2))
def test_property_swap_is_caught(code: str, pos: int) -> None:
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert is_well_formed(swapped) == (code[pos] == code[pos + 1])


@given(codes)
def test_property_printed_form_parses_back(code: str) -> None:
    printed = format_case_code(code)
    assert printed[4] == "-"
    assert parse_case_code(printed) == code
    assert parse_case_code(printed.lower().replace("-", " ")) == code


def test_cyrillic_twins_are_read_as_latin() -> None:
    code = "7KDMTW3"
    code += check_symbol(code)
    typed = code.replace("K", "\u041a").replace("M", "\u041c").replace("T", "\u0442")
    assert typed != code
    assert parse_case_code(typed) == code


def test_a_character_not_in_the_alphabet_is_named() -> None:
    code = example_code()
    bad = code[:3] + "O" + code[4:]
    with pytest.raises(InvalidCaseCodeError) as info:
        parse_case_code(format_case_code(bad))
    assert info.value.position == 4
    message = str(info.value)
    assert "character 4" in message and "'O'" in message and "0" in message
    assert "\n" not in message
    assert isinstance(info.value, InvalidValueError)


def test_the_position_counts_the_hyphen_as_typed() -> None:
    code = format_case_code(example_code())
    bad = code[:7] + "O" + code[8:]
    with pytest.raises(InvalidCaseCodeError, match="character 8 of") as info:
        parse_case_code(bad)
    assert info.value.position == 8


def test_a_cyrillic_letter_without_twin_is_named() -> None:
    with pytest.raises(InvalidCaseCodeError, match=r"character 2.*Cyrillic"):
        parse_case_code("7Д" + example_code()[2:])


def test_a_failed_check_says_what_happened() -> None:
    code = example_code()
    swapped = code[1] + code[0] + code[2:]
    with pytest.raises(InvalidCaseCodeError, match="fails its check") as info:
        parse_case_code(swapped)
    assert info.value.position is None


@pytest.mark.parametrize("text", ["", "  ", "7KDM", example_code() + "2"])
def test_wrong_length_or_empty(text: str) -> None:
    with pytest.raises(InvalidCaseCodeError) as info:
        parse_case_code(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["", "7KDM", "7KDM-TW3O", "K7DM-TW3K"])
def test_errors_name_the_field_not_a_flag(text: str) -> None:
    with pytest.raises(InvalidCaseCodeError) as info:
        parse_case_code(text)
    assert info.value.field == "case_code"
    assert not info.value.message.startswith("--") and "--" not in info.value.message
    with pytest.raises(InvalidCaseCodeError) as info:
        parse_case_code(text, field="code")
    assert info.value.field == "code" and str(info.value).startswith("code: ")
