"""The messages API on SQLite and PostgreSQL: the case's operator adds, lists, downloads and
deletes messages (attachments as multipart), one message deleted leaves the case and the
others; anyone else is refused.

The router is included here when the service's app does not include it yet."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.entrypoints.web.messages import router
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS
from tests.web.conftest import PASSWORD, bearer, sign_in


def _client(engine: Engine) -> TestClient:
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    for name, role in (("olga", "operator"), ("oleh", "operator"), ("petro", "planner")):
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    app = create_app(ports)
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/api/cases/{case_id}/messages" not in paths:  # until web/app.py registers it
        app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_the_operator_writes_reads_and_deletes_messages(engine: Engine) -> None:
    client = _client(engine)
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    said = client.post(url, data={"text": "Я хочу сдаться", "direction": "in"}, headers=olga)
    assert said.status_code == 201, said.text
    assert said.json()["author"] == "person" and said.json()["attachment_name"] is None
    photo = b"\x89PNG\r\n\x1a\n fake"
    sent = client.post(
        url,
        data={"text": "", "direction": "in"},
        files={"attachment": ("документ.png", photo, "image/png")},
        headers=olga,
    )
    assert sent.status_code == 201, sent.text
    file_id = sent.json()["id"]
    listed = client.get(url, headers=olga).json()
    assert [m["text"] for m in listed] == ["Я хочу сдаться", ""]
    assert listed[1]["attachment_type"] == "image/png"
    got = client.get(f"{url}/{file_id}/attachment", headers=olga)
    assert got.status_code == 200 and got.content == photo
    assert got.headers["cache-control"] == "private, no-store"
    assert got.headers["content-type"] == "image/png"

    refused = client.delete(f"{url}/{file_id}/attachment", headers=olga)
    assert refused.status_code == 422 and refused.json()["field"] == "attachment"
    with_text = client.post(
        url,
        data={"text": "и ещё", "direction": "in"},
        files={"attachment": ("лицо.png", photo, "image/png")},
        headers=olga,
    ).json()["id"]
    alone = client.delete(f"{url}/{with_text}/attachment", headers=olga)
    assert alone.status_code == 200 and alone.json()["attachment_name"] is None
    assert alone.json()["text"] == "и ещё"
    assert client.get(f"{url}/{with_text}/attachment", headers=olga).status_code == 422
    assert client.delete(f"{url}/{with_text}", headers=olga).status_code == 204
    gone = client.delete(f"{url}/{file_id}", headers=olga)
    assert gone.status_code == 204
    assert [m["id"] for m in client.get(url, headers=olga).json()] == [said.json()["id"]]
    assert client.get(f"/api/cases/{case['id']}", headers=olga).status_code == 200
    assert client.delete(f"{url}/{file_id}", headers=olga).status_code == 404
    bad = client.post(url, data={"text": "x", "direction": "sideways"}, headers=olga)
    assert bad.status_code == 422 and bad.json()["field"] == "direction"


def test_nobody_else_reads_the_conversation(engine: Engine) -> None:
    client = _client(engine)
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    mid = client.post(url, data={"text": "секрет"}, headers=olga).json()["id"]
    for name in ("oleh", "petro"):
        them = bearer(sign_in(client, name))
        assert client.get(url, headers=them).status_code == 403
        assert client.post(url, data={"text": "x"}, headers=them).status_code == 403
        assert client.get(f"{url}/{mid}/attachment", headers=them).status_code == 403
        assert client.delete(f"{url}/{mid}", headers=them).status_code == 403
    assert client.get(url).status_code == 401
