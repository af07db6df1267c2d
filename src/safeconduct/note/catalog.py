"""Message catalogues: the note's words in each language, as gettext ``.po`` files.

Layout
------
``locale/messages.pot`` is the template (every message the note prints, English msgids);
``locale/<lang>/LC_MESSAGES/safeconduct.po`` holds one language. Adding a language means
adding one catalogue; :func:`available_languages` finds it.

The catalogues are read at run time with Babel (no compiled ``.mo`` files to keep in step).
Maintainers regenerate the template and merge it into the catalogues with Babel's own
commands, run from the repository root::

    pybabel extract -k N_ --no-location --omit-header \\
        -o src/safeconduct/note/locale/messages.pot src/safeconduct/note
    pybabel update -D safeconduct -i src/safeconduct/note/locale/messages.pot \\
        -d src/safeconduct/note/locale
    pybabel init -D safeconduct -i src/safeconduct/note/locale/messages.pot \\
        -d src/safeconduct/note/locale -l de        # a new language

A message that is missing, empty or marked fuzzy in a catalogue is an error (the tests check
every catalogue), never a silent fall-back to English on a note meant for someone else.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from safeconduct.errors import InvalidValueError

LOCALE_DIR = Path(__file__).with_name("locale")
TEMPLATE = LOCALE_DIR / "messages.pot"
DOMAIN = "safeconduct"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction into the template; returns it unchanged."""
    return message


@functools.lru_cache(maxsize=32)
def _read(path: Path, domain: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, domain=domain)


@dataclass(frozen=True)
class Translations:
    """The messages of one language.

    Attributes
    ----------
    lang
        Language code, as the catalogue's folder is named (``"ru"``).
    messages
        msgid -> translated text.
    source
        The catalogue file, named when a message is missing.
    kind
        What the catalogue is for, in that message (``""`` for the note's, ``"custody"``).
    """

    lang: str
    messages: dict[str, str]
    source: Path | None = None
    kind: str = ""

    def gettext(self, msgid: str) -> str:
        """The translation of ``msgid``; a missing one is a bug in the catalogue."""
        try:
            return self.messages[msgid]
        except KeyError:
            which = " ".join(w for w in (self.lang, self.kind, "catalogue") if w)
            raise InvalidValueError(
                f"the {which} has no translation of {msgid!r}; update {self.source}"
            ) from None

    __call__ = gettext


@dataclass(frozen=True)
class Catalogues:
    """One gettext domain's catalogues: ``<locale_dir>/<lang>/LC_MESSAGES/<domain>.po`` and
    the template. The note's words are one such set, the custody documents' another.

    Attributes
    ----------
    locale_dir
        The folder of the language folders.
    domain
        The gettext domain (the ``.po`` files' name).
    template
        The ``.pot`` template.
    kind
        What the catalogues are for, in messages (``""`` for the note's).
    """

    locale_dir: Path
    domain: str
    template: Path
    kind: str = ""

    def catalogue_path(self, lang: str) -> Path:
        """Where the catalogue of ``lang`` lives."""
        return self.locale_dir / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def available_languages(self) -> list[str]:
        """The language codes that have a catalogue, sorted."""
        if not self.locale_dir.is_dir():
            return []
        found = self.locale_dir.glob(f"*/LC_MESSAGES/{self.domain}.po")
        return sorted(p.parent.parent.name for p in found)

    def read_template(self) -> Catalog:
        """The message template."""
        return _read(self.template, self.domain)

    def load(self, lang: str) -> Translations:
        """The catalogue of ``lang``: its messages that are present, not empty and not fuzzy.

        Raises
        ------
        InvalidValueError
            ``field="langs"`` when there is no catalogue for ``lang`` (the message lists
            those there are).
        """
        path = self.catalogue_path(lang)
        if not path.is_file():
            raise InvalidValueError(
                f"no catalogue for language {lang!r}; "
                f"available: {', '.join(self.available_languages())}",
                field="langs",
            )
        messages = {
            str(m.id): str(m.string)
            for m in _read(path, self.domain)
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
        }
        return Translations(lang=lang, messages=messages, source=path, kind=self.kind)

    def missing_messages(self, lang: str) -> list[str]:
        """The template's msgids that ``lang`` lacks (or has empty or fuzzy)."""
        have = self.load(lang).messages
        return [str(m.id) for m in self.read_template() if m.id and str(m.id) not in have]


def _notes() -> Catalogues:
    # Built from the module's names at each call, so that they stay the one place to change.
    return Catalogues(LOCALE_DIR, DOMAIN, TEMPLATE)


def catalogue_path(lang: str) -> Path:
    """Where the catalogue of ``lang`` lives."""
    return _notes().catalogue_path(lang)


def available_languages() -> list[str]:
    """The language codes that have a catalogue, sorted."""
    return _notes().available_languages()


def read_template() -> Catalog:
    """The message template (``messages.pot``)."""
    return _notes().read_template()


def parse_languages(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """Read ``"ru,uk,en"`` (or a list) into catalogue codes, checking each exists.

    Raises
    ------
    InvalidValueError
        No language, or one that has no catalogue (the message lists the available ones);
        its ``field`` is ``"langs"``.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    langs = [item.strip().lower().replace("-", "_") for item in items]
    if not langs or any(not lang for lang in langs):
        raise InvalidValueError(
            f"give one or more languages separated by commas, e.g. ru,uk; "
            f"available: {', '.join(available_languages())}",
            field="langs",
        )
    available = available_languages()
    out = []
    for lang in langs:
        if lang not in available and lang.split("_")[0] in available:
            lang = lang.split("_")[0]
        if lang not in available:
            raise InvalidValueError(
                f"no catalogue for language {lang!r}; available: {', '.join(available)}",
                field="langs",
            )
        out.append(lang)
    return out


def load(lang: str) -> Translations:
    """Load the catalogue of ``lang`` (see :func:`parse_languages` for checked input)."""
    return _notes().load(lang)


def missing_messages(lang: str) -> list[str]:
    """The template's msgids that ``lang`` lacks (or has empty or fuzzy)."""
    return _notes().missing_messages(lang)
