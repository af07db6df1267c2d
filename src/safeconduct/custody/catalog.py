"""Message catalogues of the custody documents: their words in each language, gettext ``.po``.

A domain of its own (``custody``), apart from the note's (``safeconduct``), so that the
prisoner-of-war paperwork and the safe-conduct note never share a sentence:
``locale/custody.pot`` is the template (English msgids, from :mod:`.texts`) and
``locale/<lang>/LC_MESSAGES/custody.po`` one language. The catalogues are read at run time
with Babel, as the note's are (:mod:`safeconduct.note.catalog`). Maintainers regenerate
them from the repository root::

    pybabel extract -k N_ --no-location --omit-header \\
        -o src/safeconduct/custody/locale/custody.pot src/safeconduct/custody
    pybabel update -D custody -i src/safeconduct/custody/locale/custody.pot \\
        -d src/safeconduct/custody/locale

A message missing, empty or fuzzy in a catalogue is an error (tested), never a silent
fall-back to English on a document meant for someone else.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from safeconduct.errors import InvalidValueError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "custody"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction into the template; returns it unchanged."""
    return message


def catalogue_path(lang: str) -> Path:
    """Where the custody catalogue of ``lang`` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> list[str]:
    """The language codes that have a custody catalogue, sorted."""
    if not LOCALE_DIR.is_dir():
        return []
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@functools.lru_cache(maxsize=16)
def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, domain=DOMAIN)


def read_template() -> Catalog:
    """The message template (``custody.pot``)."""
    return _read(TEMPLATE)


@dataclass(frozen=True)
class Translations:
    """The custody messages of one language.

    Attributes
    ----------
    lang
        Language code, as the catalogue's folder is named (``"uk"``).
    messages
        msgid -> translated text.
    """

    lang: str
    messages: dict[str, str]

    def gettext(self, msgid: str) -> str:
        """The translation of ``msgid``; a missing one is a bug in the catalogue."""
        try:
            return self.messages[msgid]
        except KeyError:
            raise InvalidValueError(
                f"the {self.lang} custody catalogue has no translation of {msgid!r}; "
                f"update {catalogue_path(self.lang)}"
            ) from None

    __call__ = gettext


@functools.lru_cache(maxsize=16)
def load(lang: str) -> Translations:
    """The custody catalogue of ``lang``.

    Raises
    ------
    InvalidValueError
        ``field="langs"`` when there is no catalogue for ``lang`` (the message lists those
        there are).
    """
    path = catalogue_path(lang)
    if not path.is_file():
        raise InvalidValueError(
            f"no catalogue for language {lang!r}; available: {', '.join(available_languages())}",
            field="langs",
        )
    messages = {
        str(m.id): str(m.string)
        for m in _read(path)
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }
    return Translations(lang=lang, messages=messages)


def document_languages(
    langs: Iterable[str], own: str, *, most: int | None = None, fallback: str = "en"
) -> list[str]:
    """The languages a document is printed in: the prisoner's own first, then ``langs``.

    Parameters
    ----------
    langs
        The languages asked for (ISO 639-1 codes), in order.
    own
        The prisoner's language; put first when it has a catalogue.
    most
        The most languages the document takes (three on the capture card), or None.
    fallback
        Added when only one language would remain (the detaining power's, English by
        default), so that a document is at least bilingual.

    Raises
    ------
    InvalidValueError
        ``field="langs"``: a language without a catalogue, or more than ``most``.
    """
    available = available_languages()
    wanted = [str(lang).strip().lower().replace("-", "_").split("_")[0] for lang in langs]
    for lang in wanted:
        if lang not in available:
            raise InvalidValueError(
                f"no catalogue for language {lang!r}; available: {', '.join(available)}",
                field="langs",
            )
    own = own.strip().lower().split("-")[0].split("_")[0]
    ordered = [own] if own in available else []
    for lang in wanted:
        if lang not in ordered:
            ordered.append(lang)
    if len(ordered) < 2 and fallback not in ordered:
        ordered.append(fallback)
    if most is not None and len(ordered) > most:
        raise InvalidValueError(
            f"this document takes at most {most} languages, the prisoner's own included; "
            f"got {', '.join(ordered)}",
            field="langs",
        )
    return ordered


def missing_messages(lang: str) -> list[str]:
    """The template's msgids that ``lang`` lacks (or has empty or fuzzy)."""
    have = load(lang).messages
    return [str(m.id) for m in read_template() if m.id and str(m.id) not in have]
