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
from pathlib import Path

from safeconduct.errors import InvalidValueError
from safeconduct.note.catalog import Catalogues, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "custody"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


#: The custody documents' catalogues (the note's machinery, another domain).
CATALOGUES = Catalogues(LOCALE_DIR, DOMAIN, TEMPLATE, kind="custody")

catalogue_path = CATALOGUES.catalogue_path
available_languages = CATALOGUES.available_languages
read_template = CATALOGUES.read_template
missing_messages = CATALOGUES.missing_messages


@functools.lru_cache(maxsize=16)
def load(lang: str) -> Translations:
    """The custody catalogue of ``lang`` (kept once read: every document asks again).

    Raises
    ------
    InvalidValueError
        ``field="langs"`` when there is no catalogue for ``lang`` (the message lists those
        there are).
    """
    return CATALOGUES.load(lang)


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
