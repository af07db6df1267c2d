"""The words the custody documents print, as message ids of the ``custody`` catalogues.

Each text is the English message id, marked with :func:`~safeconduct.custody.catalog.N_`
for ``pybabel extract`` (see :mod:`.catalog`). The capture card's labels follow the wording
of the Third Geneva Convention's Annex IV B ("Power on which the prisoner depends", "Name",
"First names (in full)", ... "Taken prisoner on"); the Art. 122 fields that the card lacks
use the article's words ("Mother's maiden name", "Person to be informed, and address").

Nothing here says how a person came into custody: the documents say "captured" (taken
prisoner) only (:mod:`.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from safeconduct.note.catalog import N_

# ----------------------------------------------------------------- capture card (Annex IV B)
CARD_TITLE = N_("CAPTURE CARD FOR PRISONER OF WAR")
CARD_SOURCE = N_("Third Geneva Convention, Art. 70 and Annex IV B")
CARD_LEGIBLY = N_("Write legibly and in block letters")
SERVICE = N_("PRISONER OF WAR SERVICE")
POSTAGE_FREE = N_("Postage free")
AGENCY = N_("CENTRAL PRISONERS OF WAR AGENCY")
ICRC = N_("International Committee of the Red Cross, Geneva")
CARD_IMPORTANT = N_(
    "This card must be completed by each prisoner immediately after being taken prisoner "
    "and each time his address is changed (by reason of transfer to a hospital or to "
    "another camp)."
)
ART17_NOTICE = N_(
    "A prisoner of war is bound to give only surname, first names, rank, date of birth and "
    "service number (Art. 17). He may decline to fill in any other part of this card. No "
    "coercion may be used; he is questioned only in a language he understands."
)
NOT_GIVEN = N_("not given")

#: Registration field -> its label, in Annex IV B order (Art. 122 fields after).
FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "power": N_("Power on which the prisoner depends"),
        "surname": N_("Name"),
        "first_names": N_("First names (in full)"),
        "fathers_first_name": N_("First name of father"),
        "date_of_birth": N_("Date of birth"),
        "place_of_birth": N_("Place of birth"),
        "rank": N_("Rank"),
        "service_number": N_("Service number"),
        "next_of_kin": N_("Address of family"),
        "captured_on": N_("Taken prisoner on"),
        "health": N_("State of health"),
        "present_address": N_("Present address: Prisoner of war number, Name of camp"),
        "date": N_("Date"),
        "signature": N_("Signature"),
        "mothers_maiden_name": N_("Mother's maiden name"),
        "prisoner_number": N_("Prisoner of war number"),
    }
)

#: The NIB notification's labels where Art. 122 words differ from the card's.
SURNAME = N_("Surname")
FIRST_NAMES = N_("First names")
PERSON_TO_INFORM = N_("Person to be informed, and address")
LATIN = N_("Latin transliteration (ICAO Doc 9303)")

#: HealthCategory value -> its Annex IV B wording.
HEALTH_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "good": N_("Good health"),
        "not_wounded": N_("Not wounded"),
        "recovered": N_("Recovered"),
        "convalescent": N_("Convalescent"),
        "sick": N_("Sick"),
        "slightly_wounded": N_("Slightly wounded"),
        "seriously_wounded": N_("Seriously wounded"),
    }
)

# ----------------------------------------------------------------- receipt (Art. 18)
RECEIPT_TITLE = N_("RECEIPT FOR MONEY AND VALUABLES")
RECEIPT_SOURCE = N_("Third Geneva Convention, Art. 18")
RECEIPT_NUMBER = N_("Receipt number")
PRISONER = N_("Prisoner of war")
PLACE = N_("Place")
RECEIPT_INTRO = N_(
    "The following money and valuables were taken from the prisoner of war for safe "
    "keeping; they will be returned to him."
)
ITEM_NO = N_("No.")
DESCRIPTION = N_("Description")
AMOUNT = N_("Amount")
CURRENCY = N_("Currency")
TOTAL = N_("Total")
OFFICER_SIGNATURE = N_("Signature of the officer who took the items")
OFFICER_NAME = N_("Name and rank of the officer")
PRISONER_SIGNATURE = N_("Signature of the prisoner of war")
KEEPS_COPY = N_("The prisoner of war keeps one copy of this receipt.")

# ----------------------------------------------------------------- evacuation list (Art. 19-20)
EVACUATION_TITLE = N_("LIST OF PRISONERS OF WAR EVACUATED")
EVACUATION_SOURCE = N_("Third Geneva Convention, Art. 19 and 20")
FROM = N_("From")
TO = N_("To")
ESCORT = N_("Escort")
HEADCOUNT = N_("Number of prisoners of war")
NAMES = N_("Surname and first names")
ESCORT_SIGNATURE = N_("Signature of the commander of the escort")
RECEIVER_SIGNATURE = N_("Signature of the officer receiving the prisoners of war")

# ----------------------------------------------------------------- NIB notifications (Art. 122)
NIB_TITLE = N_("NOTIFICATION TO THE NATIONAL INFORMATION BUREAU")
NIB_SOURCE = N_("Third Geneva Convention, Art. 122")
EVENT = N_("Event")
EVENT_DATE = N_("Date of the event")
DETAILS = N_("Details")

#: NibEvent value -> its wording.
EVENT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "capture": N_("Taken prisoner"),
        "transfer": N_("Transfer"),
        "hospital_admission": N_("Admission to hospital"),
        "escape": N_("Escape"),
        "release": N_("Release"),
        "death": N_("Death"),
    }
)
