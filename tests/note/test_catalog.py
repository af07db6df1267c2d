"""Message catalogues: complete, in step with the template, and within the word limit."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.extract import extract_from_dir

from safeconduct.adapters.pdf.fonts import missing_glyphs
from safeconduct.errors import InvalidValueError
from safeconduct.note import catalog, content
from safeconduct.note.catalog import available_languages, load, parse_languages
from safeconduct.note.content import DROP_TEXTS, DROP_WORD_LIMIT
from safeconduct.note.typefaces import SANS, SANS_BOLD

LANGS = available_languages()


def test_at_least_russian_ukrainian_english() -> None:
    assert {"ru", "uk", "en"} <= set(LANGS)


def test_template_is_in_step_with_the_source() -> None:
    source = catalog.LOCALE_DIR.parent
    extracted = {
        msg[2]
        for msg in extract_from_dir(str(source), keywords={"N_": None})
        if isinstance(msg[2], str)
    }
    template = {str(m.id) for m in catalog.read_template() if m.id}
    assert extracted == template, "run pybabel extract (see catalog.py)"


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_translates_every_message(lang: str) -> None:
    assert catalog.missing_messages(lang) == []


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    tr = load(lang)
    for msgid, text in tr.messages.items():
        assert _fields(text) == _fields(msgid), (lang, msgid)


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_prints_with_the_note_fonts(lang: str) -> None:
    for text in load(lang).messages.values():
        assert missing_glyphs(text, SANS) == []
        assert missing_glyphs(text, SANS_BOLD) == []


def _words(text: str) -> int:
    return sum(1 for token in text.split() if re.search(r"\w", token))


@pytest.mark.parametrize("lang", LANGS)
def test_drop_card_stays_within_the_word_limit(lang: str) -> None:
    tr = load(lang)
    assert sum(_words(tr(m)) for m in DROP_TEXTS) <= DROP_WORD_LIMIT


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_translations_are_in_their_own_script(lang: str) -> None:
    tr = load(lang)
    for msgid in DROP_TEXTS:
        assert re.search("[\u0400-\u04ff]", tr(msgid)), msgid


def test_every_step_has_a_pictogram() -> None:
    from safeconduct.adapters.pdf.pictograms import PICTOGRAMS

    shown = {name for step in content.STEPS for name in step.pictograms}
    assert shown == set(PICTOGRAMS)


def test_languages_are_parsed_and_checked() -> None:
    assert parse_languages("ru, UK,en") == ["ru", "uk", "en"]
    assert parse_languages(["ru_RU"]) == ["ru"]
    with pytest.raises(InvalidValueError) as info:
        parse_languages("ru,de")
    message = str(info.value)
    assert "'de'" in message and "en, ru, uk" in message and "\n" not in message
    assert info.value.field == "langs" and not info.value.message.startswith("--")
    with pytest.raises(InvalidValueError):
        parse_languages("ru,,uk")


def test_adding_a_language_is_adding_one_catalogue(tmp_path, monkeypatch) -> None:
    import shutil

    from safeconduct.bootstrap import note_ports
    from safeconduct.services.note import make_note

    locale = tmp_path / "locale"
    shutil.copytree(catalog.LOCALE_DIR, locale)
    # A new catalogue, as `pybabel init -l pl` would start it (English text stands in here).
    (locale / "pl" / "LC_MESSAGES").mkdir(parents=True)
    english = (locale / "en" / "LC_MESSAGES" / "safeconduct.po").read_text(encoding="utf-8")
    (locale / "pl" / "LC_MESSAGES" / "safeconduct.po").write_text(
        english.replace("Language: en", "Language: pl"), encoding="utf-8"
    )
    monkeypatch.setattr(catalog, "LOCALE_DIR", locale)
    monkeypatch.setattr(catalog, "TEMPLATE", locale / "messages.pot")
    assert available_languages() == ["en", "pl", "ru", "uk"]
    assert catalog.missing_messages("pl") == []
    summary = make_note(note_ports(), tmp_path / "pl.pdf", langs="pl,ru")
    assert summary.langs == ("pl", "ru")
