"""A case's team on its page: planners assign crews and reception teams with a form, the
assigned see the case, others get no form; refused changes show why and write nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from safeconduct.services.casework import CONSOLE, CaseworkPorts, case_assignments, open_case
from tests.web.board_helpers import browser_sign_in


def _case(ports: CaseworkPorts) -> int:
    return open_case(ports, language="ru", actor=CONSOLE).id


def test_a_planner_assigns_and_removes_with_the_team_form(
    client_for: object, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    petro: TestClient = client_for()  # type: ignore[operator]
    csrf = browser_sign_in(petro, "petro")
    case_id = _case(ports)
    page = petro.get(f"/board/cases/{case_id}")
    assert 'id="assign-form"' in page.text and 'value="kyrylo:crew"' in page.text
    answer = petro.post(
        f"/board/cases/{case_id}/assignments",
        data={"member": "kyrylo:crew", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert [a.user for a in case_assignments(ports, case_id, actor=CONSOLE)] == ["kyrylo"]
    page = petro.get(f"/board/cases/{case_id}")
    assert "<strong>kyrylo</strong> crew" in page.text
    assert 'value="kyrylo:crew"' not in page.text.split('id="assign-form"')[1]

    # The crew now sees the case, and no form to change its team.
    kyrylo: TestClient = client_for()  # type: ignore[operator]
    browser_sign_in(kyrylo, "kyrylo")
    seen = kyrylo.get(f"/board/cases/{case_id}")
    assert seen.status_code == 200 and 'id="assign-form"' not in seen.text
    refused = kyrylo.post(
        f"/board/cases/{case_id}/assignments",
        data={"member": "roman:reception", "csrf_token": browser_sign_in(kyrylo, "kyrylo")},
    )
    assert refused.status_code == 403

    # A bad member is refused on the page (422), nothing written; then removal works.
    bad = petro.post(
        f"/board/cases/{case_id}/assignments",
        data={"member": "roman:crew", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "is not a crew" in bad.text
    assert len(case_assignments(ports, case_id, actor=CONSOLE)) == 1
    gone = petro.post(
        f"/board/cases/{case_id}/assignments/remove",
        data={"member": "kyrylo:crew", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert case_assignments(ports, case_id, actor=CONSOLE) == []
    assert kyrylo.get(f"/board/cases/{case_id}").status_code == 403


def test_the_team_forms_need_the_csrf_token(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    browser_sign_in(client, "petro")
    case_id = _case(ports)
    for path in ("assignments", "assignments/remove"):
        answer = client.post(f"/board/cases/{case_id}/{path}", data={"member": "kyrylo:crew"})
        assert answer.status_code == 403
    assert case_assignments(ports, case_id, actor=CONSOLE) == []
