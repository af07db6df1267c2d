"""The custody catalogues: every message in every language, in step with the source."""

from __future__ import annotations

import string

import pytest
from babel.messages.extract import extract_from_dir

from safeconduct.adapters.pdf.fonts import missing_glyphs
from safeconduct.custody import catalog, texts
from safeconduct.custody.catalog import available_languages, document_languages, load
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent
from safeconduct.custody.wording import forbidden_in
from safeconduct.errors import InvalidValueError
from safeconduct.note.typefaces import SANS, SANS_BOLD

LANGS = available_languages()


def test_russian_ukrainian_english() -> None:
    assert LANGS == ["en", "ru", "uk"]


def test_template_is_in_step_with_the_source() -> None:
    extracted = {
        msg[2]
        for msg in extract_from_dir(str(catalog.LOCALE_DIR.parent), keywords={"N_": None})
        if isinstance(msg[2], str)
    }
    template = {str(m.id) for m in catalog.read_template() if m.id}
    assert extracted == template, "run pybabel extract (see custody/catalog.py)"


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_translates_every_message(lang: str) -> None:
    assert catalog.missing_messages(lang) == []
    template = {str(m.id) for m in catalog.read_template() if m.id}
    assert set(load(lang).messages) == template


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for msgid, text in load(lang).messages.items():
        assert fields(text) == fields(msgid), (lang, msgid)


@pytest.mark.parametrize("lang", LANGS)
def test_prints_with_the_note_fonts_and_says_captured_only(lang: str) -> None:
    for text in load(lang).messages.values():
        assert missing_glyphs(text, SANS) == []
        assert missing_glyphs(text, SANS_BOLD) == []
        assert forbidden_in(text, lang) == [], text


def test_every_health_category_and_event_has_its_words() -> None:
    assert list(texts.HEALTH_LABELS) == [h.value for h in HealthCategory]
    assert set(texts.EVENT_LABELS) == {e.value for e in NibEvent}


def test_annex_iv_b_wording() -> None:
    en = load("en")
    assert en(texts.FIELD_LABELS["power"]) == "Power on which the prisoner depends"
    assert en(texts.FIELD_LABELS["next_of_kin"]) == "Address of family"
    assert en(texts.FIELD_LABELS["captured_on"]) == "Taken prisoner on"
    assert load("uk")(texts.FIELD_LABELS["surname"]) == "Прізвище"


def test_document_languages() -> None:
    assert document_languages(["en"], "uk") == ["uk", "en"]
    assert document_languages(["ru", "uk"], "uk") == ["uk", "ru"]
    assert document_languages([], "ru") == ["ru", "en"]  # the detaining power's by default
    assert document_languages(["en"], "en") == ["en"]
    assert document_languages(["en", "ru"], "de") == ["en", "ru"]  # no German catalogue
    with pytest.raises(InvalidValueError) as err:
        document_languages(["de"], "ru")
    assert err.value.field == "langs"
    with pytest.raises(InvalidValueError) as err:
        document_languages(["ru", "uk", "en"], "ru", most=2)
    assert err.value.field == "langs"
