"""The custody pages of the board: the reception team's arrival and receipt forms, the
registrar's registration form (with "not given" per Art. 17 field and the notice on screen),
the prisoner's page with its documents and events. Refused values come back on the form
(422) with nothing written; every form needs its CSRF token."""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader

from safeconduct.services.casework import CONSOLE, CaseworkPorts, get_case
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import ClientFor
from tests.web.test_custody_api import arrived_case

TODAY = date.today().isoformat()  # the case was opened today: no capture before
#: Past the latest date anywhere on Earth today (registration allows UTC+14).
TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def _arrival_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "at": "2026-11-27T06:40",
        "people": "1",
        "place": "Reception point North",
        "escorts": "Sgt. Koval, Pte. Marchenko",
        "health": "sick",
        "medical_priority": "1",
        "effects_kept": "wristwatch\nfamily photo",
    }
    return form | changes


def _registration_form(csrf: str, case_id: int | None = None, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "surname": "Шевченко",
        "first_names": "Тарас",
        "rank": "",
        "rank_not_given": "1",
        "date_of_birth": "1994-03-09",
        "service_number": "",
        "service_number_not_given": "1",
        "fathers_first_name": "Григорий",
        "mothers_maiden_name": "",
        "place_of_birth": "",
        "power": "",
        "next_of_kin": "",
        "present_address": "",
        "captured_on": TODAY,
        "health": "good",
        "language": "ru",
    }
    if case_id is not None:
        form["case_id"] = str(case_id)
    return form | changes


def test_the_reception_team_records_the_arrival_and_a_receipt(
    client_for: ClientFor, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    roman: TestClient = client_for()
    csrf = browser_sign_in(roman, "roman")
    case_id = arrived_case(ports)
    page = roman.get(f"/board/cases/{case_id}")
    assert f'href="/board/cases/{case_id}/reception"' in page.text
    form = roman.get(f"/board/cases/{case_id}/reception")
    assert form.status_code == 200 and 'id="arrival-form"' in form.text
    assert "Slightly wounded" in form.text  # the Annex IV B categories

    url = f"/board/cases/{case_id}/arrival"
    assert roman.post(url, data=_arrival_form("")).status_code == 403  # no CSRF token
    refused = roman.post(url, data=_arrival_form(csrf, escorts=""))
    assert refused.status_code == 422 and 'id="error-escorts"' in refused.text
    assert "Reception point North" in refused.text  # the form keeps what was typed
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "arrived"
    done = roman.post(url, data=_arrival_form(csrf), follow_redirects=False)
    assert done.status_code == 303, done.text
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "in_custody"
    recorded = roman.get(f"/board/cases/{case_id}/reception")
    assert 'id="arrival-recorded"' in recorded.text and "2026-11-27 06:40 +0000" in recorded.text
    assert "wristwatch, family photo" in recorded.text

    url = f"/board/cases/{case_id}/receipts"
    items = {"csrf_token": csrf, "description_0": "Banknotes", "amount_0": "", "currency_0": "RUB"}
    items |= {"description_1": "", "amount_1": "", "currency_1": ""}
    refused = roman.post(url, data=items)
    assert refused.status_code == 422 and "has no amount" in refused.text
    items["amount_0"] = "1500"
    done = roman.post(url, data=items, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/board/cases/{case_id}/reception?receipt=R-")
    shown = roman.get(done.headers["location"])
    assert 'id="receipt-issued"' in shown.text
    number = done.headers["location"].split("receipt=")[1].split("#")[0]
    pdf = roman.get(f"/board/receipts/{number}.pdf?lang=ru&lang=en")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "1500" in text and number in text

    # Not for the reception team: the registrar's pages.
    assert roman.get("/board/prisoners").status_code == 403
    assert roman.get("/board/prisoners/new").status_code == 403


def test_the_registrar_registers_and_downloads_the_documents(
    client_for: ClientFor, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    case_id = arrived_case(ports)
    from tests.web.test_custody_api import arrival_body  # the API's arrival, as roman

    roman: TestClient = client_for()
    browser_sign_in(roman, "roman")
    from tests.web.conftest import bearer, sign_in

    answer = roman.post(
        f"/api/cases/{case_id}/arrival",
        json=arrival_body(),
        headers=bearer(sign_in(roman, "roman")),
    )
    assert answer.status_code == 201, answer.text

    rita: TestClient = client_for()
    csrf = browser_sign_in(rita, "rita")
    board = rita.get("/board")
    assert 'id="prisoners-link"' in board.text
    page = rita.get(f"/board/cases/{case_id}")
    assert f'href="/board/prisoners/new?case_id={case_id}"' in page.text

    form = rita.get(f"/board/prisoners/new?case_id={case_id}")
    assert form.status_code == 200
    assert "may be questioned only in a language he understands" in form.text
    assert "may not be coerced" in form.text
    assert "Никакое принуждение не допускается" in form.text  # shown in his language too
    # The reception team's record starts the form: health and the day of arrival.
    assert '<option value="slightly_wounded" selected>' in form.text
    assert 'value="2026-11-27"' in form.text
    for field in ("surname", "first_names", "rank", "date_of_birth", "service_number"):
        assert f'name="{field}_not_given"' in form.text

    assert rita.post("/board/prisoners", data=_registration_form("")).status_code == 403
    refused = rita.post(
        "/board/prisoners", data=_registration_form(csrf, case_id, date_of_birth=TOMORROW)
    )
    assert refused.status_code == 422, refused.text
    assert 'id="error-date_of_birth"' in refused.text and "Шевченко" in refused.text
    refused = rita.post("/board/prisoners", data=_registration_form(csrf, case_id, surname=""))
    assert refused.status_code == 422 and 'id="error-surname"' in refused.text
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "in_custody"

    done = rita.post(
        "/board/prisoners", data=_registration_form(csrf, case_id), follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/board/prisoners/1"
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "registered"

    page = rita.get("/board/prisoners/1")
    assert page.status_code == 200
    assert "Шевченко" in page.text and "not given" in page.text
    listed = rita.get("/board/prisoners")
    assert 'id="prisoner-PW-000001"' in listed.text

    card = rita.get("/board/prisoners/1/card.pdf?lang=uk&lang=en")
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    bad = rita.get("/board/prisoners/1/card.pdf?lang=xx")
    assert bad.status_code == 422

    url = "/board/prisoners/1/events"
    event = {"csrf_token": csrf, "occurred_on": date.today().isoformat(), "place": "Camp 3"}
    assert rita.post(url, data={**event, "csrf_token": "", "event": "transfer"}).status_code == 403
    refused = rita.post(url, data={**event, "occurred_on": "", "event": "transfer"})
    assert refused.status_code == 422 and 'id="event-error"' in refused.text
    done = rita.post(url, data={**event, "event": "hospital_admission"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert "Hospital admission</strong> at Camp 3" in rita.get("/board/prisoners/1").text

    evacuation = {
        "csrf_token": csrf,
        "prisoner": "PW-000001",
        "on": date.today().isoformat(),
        "from_place": "Reception point North",
        "to_place": "Camp 3",
        "escort": "Lt. Savchuk",
        "lang": "en",
    }
    pdf = rita.post("/board/prisoners/evacuation-list", data=evacuation)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    refused = rita.post("/board/prisoners/evacuation-list", data={**evacuation, "prisoner": ""})
    assert refused.status_code == 422 and 'id="evacuation-error"' in refused.text

    # The registrar takes money from a registered prisoner against a receipt, too.
    url_receipts = "/board/prisoners/1/receipts"
    items = {
        "csrf_token": csrf,
        "description_0": "Wristwatch",
        "amount_0": "0",
        "currency_0": "EUR",
    }
    refused = rita.post(url_receipts, data=items)
    assert refused.status_code == 422 and "more than 0" in refused.text
    done = rita.post(url_receipts, data={**items, "amount_0": "50"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/board/prisoners/1?receipt=R-000001#receipt"
    assert 'id="receipt-issued"' in rita.get(done.headers["location"]).text
    receipt = rita.get("/board/receipts/R-000001.pdf?lang=en")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"

    # A release ends custody: no more event buttons.
    done = rita.post(url, data={**event, "event": "release"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = rita.get("/board/prisoners/1")
    assert 'id="event-form"' not in page.text and "Released" in page.text
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "released"

    for suffix, media in (
        ("json", "application/json"),
        ("csv", "text/csv"),
        ("pdf", "application/pdf"),
    ):
        answer = rita.get(f"/board/nib/notifications.{suffix}")
        assert answer.status_code == 200, (suffix, answer.text)
        assert answer.headers["content-type"].startswith(media)
