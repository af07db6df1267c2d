"""Who may call what: every API route and every role in one table, case lists scoped by role,
and the transitions each team may make."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import operation_body
from tests.web.conftest import PASSWORD, USERS, bearer, sign_in
from tests.web.custody_access import custody_call
from tests.web.intake_scene import meeting_body, new_conversation, new_media
from tests.web.test_auth import API_ROUTES, api_routes

ANON = "(no token)"
_ALL = (*USERS, ANON)


def _row(default: int, **overrides: int) -> dict[str, int]:
    return {who: overrides.get(who, default) for who in _ALL} | {ANON: overrides.get("anon", 401)}


#: Who may read a plan (its operation, jobs and files): operators (any case's), planners;
#: crews and reception teams only their own cases', and nobody owns olga's case but her.
_READS_PLANS = {"olga": 200, "oleh": 200, "petro": 200}

#: (METHOD, path) -> who -> expected status, on a case opened by olga (operator) whose
#: operation petro (planner) made and asked a plan for. oleh is a second operator: olga's
#: case is not his. Nobody is granted anything by default (GUIDE §2).
ACCESS: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/health"): _row(200, anon=200),
    ("POST", "/api/auth/token"): _row(200),  # each with their own password; anon: a wrong one
    ("POST", "/api/cases"): _row(403, olga=201, oleh=201),
    ("GET", "/api/cases"): _row(200, anya=403, adam=403),  # scoped: see the test below
    ("GET", "/api/cases/{case_id}"): _row(403, olga=200, petro=200, rita=200),
    ("POST", "/api/cases/{case_id}/transitions"): _row(403, olga=200, petro=200),
    # Planners write plan data; each call is on a case of its own without an operation.
    ("POST", "/api/cases/{case_id}/operation"): _row(403, petro=201),
    ("GET", "/api/cases/{case_id}/operation"): _row(403, **_READS_PLANS),
    ("GET", "/api/operations/{operation_id}"): _row(403, **_READS_PLANS),
    # Each call is on an operation of its own with no plan queued.
    ("POST", "/api/operations/{operation_id}/plan"): _row(403, petro=202),
    ("GET", "/api/jobs/{job_id}"): _row(403, **_READS_PLANS),
    # No plan ran, so no file is listed: 404 to those who may read the plan.
    ("GET", "/api/operations/{operation_id}/files/{name}"): _row(
        403, olga=404, oleh=404, petro=404
    ),
    # Whoever may see some case follows changes; auditors and administrators see none.
    ("GET", "/api/events"): _row(200, anya=403, adam=403),
    # Areas are plan data: operators and planners read them, planners add them (each
    # upload is the sample area under a name of its own).
    ("GET", "/api/areas"): _row(403, **_READS_PLANS),
    ("GET", "/api/areas/{area}"): _row(403, **_READS_PLANS),
    ("POST", "/api/areas"): _row(403, petro=201),
    # Planners assign crews and reception teams; whoever sees the case sees who is on it.
    # Each assignment is made on a case of its own, and each removal undoes one.
    ("GET", "/api/cases/{case_id}/assignments"): _row(403, olga=200, petro=200, rita=200),
    ("POST", "/api/cases/{case_id}/assignments"): _row(403, petro=201),
    ("DELETE", "/api/cases/{case_id}/assignments/{role}/{user}"): _row(403, petro=200),
    ("GET", "/api/team"): _row(403, petro=200),
    # Custody (tests/web/custody_access.py makes what each call needs): the reception team
    # writes its own case's reception data (roman is assigned to each case the calls make);
    # the registrar reads them and writes identity and POW documents.
    ("POST", "/api/cases/{case_id}/arrival"): _row(403, roman=201),
    ("POST", "/api/custody/receipts"): _row(403, roman=201),
    ("GET", "/api/custody/receipts/{number}.pdf"): _row(403, roman=200, rita=200),
    ("POST", "/api/custody/prisoners"): _row(403, rita=201),
    ("GET", "/api/custody/prisoners"): _row(403, rita=200),
    ("GET", "/api/custody/prisoners/{prisoner_id}"): _row(403, rita=200),
    ("POST", "/api/custody/prisoners/{prisoner_id}/events"): _row(403, rita=201),
    ("GET", "/api/custody/prisoners/{prisoner_id}/card.pdf"): _row(403, rita=200),
    ("POST", "/api/custody/evacuation-lists"): _row(403, rita=200),
    ("GET", "/api/custody/nib/notifications.json"): _row(403, rita=200),
    ("GET", "/api/custody/nib/notifications.csv"): _row(403, rita=200),
    # The conversation is its operator's alone (each change on a message of its own).
    ("GET", "/api/cases/{case_id}/messages"): _row(403, olga=200),
    ("POST", "/api/cases/{case_id}/messages"): _row(403, olga=201),
    ("GET", "/api/cases/{case_id}/messages/{message_id}/attachment"): _row(403, olga=200),
    ("DELETE", "/api/cases/{case_id}/messages/{message_id}/attachment"): _row(403, olga=200),
    ("DELETE", "/api/cases/{case_id}/messages/{message_id}"): _row(403, olga=204),
    # Intake: operators read the inbox and take conversations over (each a fresh one);
    # the conversation is then its operator's alone (olga's here).
    ("GET", "/api/intake/inbox"): _row(403, olga=200, oleh=200),
    ("GET", "/api/intake/conversations/{case_id}"): _row(403, olga=200),
    ("POST", "/api/intake/conversations/{case_id}/takeover"): _row(403, olga=200, oleh=200),
    ("POST", "/api/intake/conversations/{case_id}/replies"): _row(403, olga=201),
    ("POST", "/api/intake/conversations/{case_id}/meeting"): _row(403, olga=201),
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/keep"): _row(403, olga=200),
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/discard"): _row(403, olga=200),
    # An export of olga's case: whoever reads its conversation or reception data (olga, and
    # rita, who reads every case's reception record); the archive only for its maker.
    ("POST", "/api/exports"): _row(403, olga=201, rita=201),
    ("GET", "/api/exports/{export_id}.zip"): _row(403, olga=200),
    # The live map of a leading, on an operation with kyrylo (crew) and roman (reception)
    # assigned: planners read every one, the crew writes its own, reception reads its own.
    ("POST", "/api/operations/{operation_id}/live/positions"): _row(403, kyrylo=200),
    ("GET", "/api/operations/{operation_id}/live"): _row(403, petro=200, kyrylo=200, roman=200),
    ("POST", "/api/operations/{operation_id}/live/taps"): _row(403, kyrylo=201),
    ("POST", "/api/operations/{operation_id}/live/engage"): _row(403, kyrylo=200),
    ("POST", "/api/operations/{operation_id}/live/disengage"): _row(403, kyrylo=200),
    ("GET", "/api/operations/{operation_id}/live/events"): _row(
        403, petro=200, kyrylo=200, roman=200
    ),
}


@dataclass
class _Scene:
    """The case, operation and plan job the rows call on, and how to make fresh ones."""

    client: TestClient
    tokens: dict[str, str]
    meeting: GeoPoint
    case_id: int = 0
    operation_id: int = 0
    job_id: int = 0
    led_id: int = 0
    uploads: list[str] = field(default_factory=list)
    sample_files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Uploads go into an areas folder of the scene's own, the sample area linked in,
        # never into the session's shared one.
        app = self.client.app
        assert isinstance(app, FastAPI)
        ops = app.state.operations
        sample = ops.data_dir / "areas" / "sample"
        data = ops.data_dir.parent / "scene-data"
        (data / "areas").mkdir(parents=True)
        (data / "areas" / "sample").symlink_to(sample)
        app.state.operations = replace(ops, data_dir=data, folders=FolderAreaLibrary())
        for layer in ("dem", "hazards", "observers", "reception", "meeting"):
            path = sample / ("dem.tif" if layer == "dem" else f"{layer}.geojson")
            self.sample_files[layer] = (path.name, path.read_bytes())

    def upload_area(self, headers: dict[str, str]) -> int:
        """The sample area uploaded under a new name."""
        self.uploads.append(f"uploaded-{len(self.uploads)}")
        data, files = {"name": self.uploads[-1]}, self.sample_files
        return self.client.post("/api/areas", data=data, files=files, headers=headers).status_code

    def open_case(self) -> int:
        """A new case opened by olga."""
        answer = self.client.post(
            "/api/cases", json={"language": "ru"}, headers=bearer(self.tokens["olga"])
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def new_operation(self, case_id: int) -> int:
        """The operation petro makes for ``case_id``."""
        answer = self.client.post(
            f"/api/cases/{case_id}/operation",
            json=operation_body(self.meeting),
            headers=bearer(self.tokens["petro"]),
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def assigned_case(self) -> int:
        """A new case with kyrylo (crew) assigned by petro."""
        case_id = self.open_case()
        answer = self.client.post(
            f"/api/cases/{case_id}/assignments",
            json={"user": "kyrylo", "role": "crew"},
            headers=bearer(self.tokens["petro"]),
        )
        assert answer.status_code == 201, answer.text
        return case_id

    def led_operation(self) -> int:
        """An operation whose case has kyrylo (crew) and roman (reception) assigned (made
        once)."""
        if not self.led_id:
            case_id = self.assigned_case()
            answer = self.client.post(
                f"/api/cases/{case_id}/assignments",
                json={"user": "roman", "role": "reception"},
                headers=bearer(self.tokens["petro"]),
            )
            assert answer.status_code == 201, answer.text
            self.led_id = self.new_operation(case_id)
        return self.led_id

    def message(self) -> int:
        """A new message with an attachment, by olga on her case."""
        answer = self.client.post(
            f"/api/cases/{self.case_id}/messages",
            data={"text": "Я хочу сдаться", "direction": "in"},
            # Not a picture: the test app's exports have no face blurring to apply.
            files={"attachment": ("note.txt", b"meet at the mill", "text/plain")},
            headers=bearer(self.tokens["olga"]),
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def export(self) -> str:
        """A new export of olga's case, made by olga."""
        answer = self.client.post(
            "/api/exports", json=self.export_body(), headers=bearer(self.tokens["olga"])
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def export_body(self) -> dict[str, object]:
        return {"case_id": self.case_id, "purpose": "ICRC tracing", "password": "x" * 16}

    def request_plan(self, operation_id: int) -> int:
        """The plan job petro asks for (queued only: no plan runs)."""
        answer = self.client.post(
            f"/api/operations/{operation_id}/plan", headers=bearer(self.tokens["petro"])
        )
        assert answer.status_code == 202, answer.text
        return int(answer.json()["job_id"])


def _call(scene: _Scene, method: str, path: str, who: str) -> int:
    custody = custody_call(scene, method, path, who)
    if custody is not None:
        return custody
    client, token = scene.client, scene.tokens.get(who)
    headers = bearer(token) if token else {}
    case_id, operation_id = scene.case_id, scene.operation_id
    # Calls that change what they call on get a fresh one, so the table's order is free.
    if (method, path) == ("POST", "/api/cases/{case_id}/operation"):
        case_id = scene.open_case()
    elif (method, path) == ("POST", "/api/operations/{operation_id}/plan"):
        operation_id = scene.new_operation(scene.open_case())
    elif (method, path) == ("POST", "/api/cases/{case_id}/assignments"):
        case_id = scene.open_case()
    elif method == "DELETE" and "/assignments/" in path:
        case_id = scene.assigned_case()
    elif "/live" in path:
        operation_id = scene.led_operation()
    if "{media_id}" in path:
        case_id, media_id = new_media(client.app)
        path = path.replace("{media_id}", str(media_id))
    elif path.startswith("/api/intake/conversations/"):
        case_id = new_conversation(client.app, take=not path.endswith("/takeover"))
    if "{message_id}" in path:
        path = path.replace("{message_id}", str(scene.message()))
    if "{export_id}" in path:
        path = path.replace("{export_id}", scene.export())
    url = (
        path.replace("{case_id}", str(case_id))
        .replace("{operation_id}", str(operation_id))
        .replace("{job_id}", str(scene.job_id))
        .replace("{name}", "route.geojson")
        .replace("{area}", "sample")
        .replace("{role}", "crew")
        .replace("{user}", "kyrylo")
    )
    if (method, path) == ("POST", "/api/areas"):
        return scene.upload_area(headers)
    if path == "/api/auth/token":
        password = PASSWORD if who in USERS else "not the password"
        name = who if who in USERS else "olga"
        return client.post(url, data={"username": name, "password": password}).status_code
    if method == "POST" and path == "/api/cases":
        return client.post(url, json={"language": "ru"}, headers=headers).status_code
    if path.endswith("/transitions"):
        # schedule is allowed again from scheduled: every row sees the same state machine.
        return client.post(url, json={"transition": "schedule"}, headers=headers).status_code
    if method == "POST" and path.endswith("/assignments"):
        return client.post(
            url, json={"user": "kyrylo", "role": "crew"}, headers=headers
        ).status_code
    if method == "POST" and path.endswith("/messages"):
        form = {"text": "Где встреча?", "direction": "in"}
        return client.post(url, data=form, headers=headers).status_code
    if method == "POST" and path.endswith("/replies"):
        return client.post(url, json={"text": "Здравствуйте"}, headers=headers).status_code
    if method == "POST" and path.endswith("/meeting"):
        return client.post(url, json=meeting_body(), headers=headers).status_code
    if method == "POST" and path == "/api/exports":
        return client.post(url, json=scene.export_body(), headers=headers).status_code
    if method == "POST" and path.endswith("/live/positions"):
        drone = {"kind": "drone", "lat": 48.5, "lon": 35.0, "source": "vehicle"}
        body = {"positions": [drone | {"at": "2026-01-01T05:00:00+00:00"}]}
        return client.post(url, json=body, headers=headers).status_code
    if method == "POST" and path.endswith("/live/taps"):
        return client.post(url, json={"lat": 48.5, "lon": 35.0}, headers=headers).status_code
    if method == "POST" and path.endswith("/operation"):
        body = operation_body(scene.meeting)
        return client.post(url, json=body, headers=headers).status_code
    return client.request(method, url, headers=headers).status_code


def test_every_route_for_every_role(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    assert sorted(ACCESS) == sorted(API_ROUTES) == api_routes(client), (
        "every route needs a row in ACCESS"
    )
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = 0  # a stream answered 200 ends at once
    scene = _Scene(client, {name: sign_in(client, name) for name in USERS}, meeting)
    scene.case_id = scene.open_case()
    scene.operation_id = scene.new_operation(scene.case_id)
    scene.job_id = scene.request_plan(scene.operation_id)
    wrong = []
    for (method, path), expected in ACCESS.items():
        for who in _ALL:
            got = _call(scene, method, path, who)
            if got != expected[who]:
                wrong.append(f"{method} {path} as {who}: {got}, expected {expected[who]}")
    assert not wrong, "\n".join(wrong)


def test_case_lists_are_scoped_by_role(client: TestClient, users: dict[str, str]) -> None:
    tokens = {name: sign_in(client, name) for name in USERS}

    def opened_by(name: str) -> str:
        answer = client.post("/api/cases", json={"language": "uk"}, headers=bearer(tokens[name]))
        assert answer.status_code == 201
        return str(answer.json()["case_code"])

    mine, his = opened_by("olga"), opened_by("oleh")

    def listed(name: str) -> list[str]:
        answer = client.get("/api/cases", headers=bearer(tokens[name]))
        assert answer.status_code == 200
        return [c["case_code"] for c in answer.json()["items"]]

    assert listed("olga") == [mine]
    assert listed("oleh") == [his]
    assert listed("petro") == listed("rita") == [his, mine]  # the latest change first
    # Crews and reception teams see the cases assigned to them: none yet, never an
    # operator's list.
    assert listed("kyrylo") == listed("roman") == []


def test_each_team_makes_its_own_transitions(client: TestClient, users: dict[str, str]) -> None:
    tokens = {name: sign_in(client, name) for name in USERS}
    created = client.post("/api/cases", json={"language": "ru"}, headers=bearer(tokens["olga"]))
    url = f"/api/cases/{created.json()['id']}/transitions"

    def move(who: str, transition: str) -> int:
        answer = client.post(url, json={"transition": transition}, headers=bearer(tokens[who]))
        return answer.status_code

    assert move("olga", "schedule") == 200  # the operator agrees the meeting
    assert move("olga", "plan") == 403  # an operator cannot plan
    assert move("petro", "plan") == 200  # the planner can
    assert move("petro", "close") == 403  # closing a case is its operator's
    assert move("kyrylo", "launch") == 403  # a crew acts on its assigned cases only
    answer = client.get(url.removesuffix("/transitions"), headers=bearer(tokens["olga"]))
    assert answer.json()["status"] == "planned"
    assert [(e["transition"], e["actor"]) for e in answer.json()["events"]] == [
        ("schedule", "olga"),
        ("plan", "petro"),
    ]
    assert move("olga", "close") == 200
