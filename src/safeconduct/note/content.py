"""What the note says: the steps, their pictograms and the fixed texts, as msgids.

Every string here is an English msgid marked with :func:`~safeconduct.note.catalog.N_` so
that ``pybabel extract -k N_`` finds it; the catalogues under ``locale/`` translate it. The
drop card's words (title, steps, guarantees) stay within :data:`DROP_WORD_LIMIT` in every
language: it is read at arm's length, in poor light, by someone under stress.

The note is protective only: it tells the person how to be seen, followed and received,
and what the Geneva Conventions guarantee them. It says nothing about weapons beyond
putting them down, and nothing about how the person came to be there.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeconduct.note.catalog import N_

#: Most words a drop card may carry in one language.
DROP_WORD_LIMIT = 60


@dataclass(frozen=True)
class Step:
    """One step of the procedure: its text (a msgid) and the pictograms that show it."""

    text: str
    pictograms: tuple[str, ...]


TITLE = N_("SAFE CONDUCT")

#: The procedure of the GUIDE §1, steps 3 to 7, in the order the person lives it.
STEPS: tuple[Step, ...] = (
    Step(N_("Look at the drone. Arms up, then out sideways."), ("arms_up", "arms_out")),
    Step(N_("The drone rises and dips: it has seen you."), ("drone_rise_descend",)),
    Step(N_("Weapon down. Follow the drone at your pace."), ("weapon_down", "follow_drone")),
    Step(N_("Drone gone? Stay put, sit and wait."), ("sit_wait",)),
    Step(N_("When met: stop, hands up. Lie face down, hands visible."), ("lie_face_down",)),
)

DROP_GUARANTEES = N_(
    "Geneva Conventions: humane treatment, food, water, medical care. "
    "The Red Cross informs your family."
)

# The leaflet: for someone preparing through the hotline.
LEAFLET_SUBTITLE = N_("How to surrender safely")
CONTACT_HEADING = N_("1. Get in touch")
CONTACT_TEXT = N_(
    "Call or write to the hotline and give your code. Together we will agree on a time and a place."
)
HOTLINE_LABEL = N_("Hotline:")
CODE_LABEL = N_("Your code:")
QR_CAPTION = N_("The QR code holds the contact and your code.")
PREPARE_HEADING = N_("2. Prepare")
PREPARE_TEXT = N_(
    "Take nothing with you. Bring a white cloth if you can. "
    "Be on time: a drone can stay in the air for only 20 to 40 minutes."
)
WHERE_HEADING = N_("3. Where and when")
TIME_LABEL = N_("Time:")
PLACE_LABEL = N_("Place:")
TO_BE_AGREED = N_("we will tell you through the hotline")
DATE_AT_TIME = N_("{date} at {time}")
TIME_ZONE = N_("time zone: {zone}")
ARRIVAL_HEADING = N_("4. When the drone comes")
LEAFLET_GUARANTEES = N_(
    "The Geneva Conventions guarantee you humane treatment, food and water, and medical "
    "care. The International Committee of the Red Cross will inform your family."
)

#: The texts of a drop card, in reading order (for the word limit).
DROP_TEXTS: tuple[str, ...] = (TITLE, *(s.text for s in STEPS), DROP_GUARANTEES)
