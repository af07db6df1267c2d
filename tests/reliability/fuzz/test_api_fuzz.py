"""The REST API fuzzed from its own OpenAPI document (Schemathesis), as every role.

Two tests, each on SQLite and on PostgreSQL, on a database with data in it
(:func:`~.conftest.world`):

- the fuzzing: for each operation of ``/openapi.json``, Hypothesis draws requests from the
  operation's schema, valid and invalid (wrong types, missing fields, values out of range),
  sent by a user drawn from one per role, one holding two roles, and nobody (no token),
  with path parameters that exist in the database half of the time;
- the sweep: every user reads every record the world holds through every GET operation
  (every known id), so each role meets both its own cases and others'.

Every answer must be never a 5xx; documented (its status code, content type, headers and
body match the OpenAPI document); and no leak: every field name of a JSON answer is one
the user's roles may receive, by the explicit tables of :mod:`.oracle` (GUIDE §2, written
independently of the code under test, ``casework/visibility.py``).

Deterministic (derandomized, bounded examples). Left out: the Server-Sent Events streams
(:data:`SKIPPED`); the sign-in never tries the world's users' names, so the fuzzer cannot
lock them out.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.fuzz import oracle
from tests.reliability.fuzz.conftest import FUZZ_USERS, World
from tests.web.conftest import PASSWORD

#: Operations left out of the fuzzing, with why.
SKIPPED: dict[tuple[str, str], str] = {
    ("GET", "/api/events"): "a Server-Sent Events stream: it never ends (tests/web/test_events)",
    ("GET", "/api/operations/{operation_id}/live/events"): (
        "a Server-Sent Events stream: it never ends (tests/web/test_live_api)"
    ),
}
SIGN_IN = ("POST", "/api/auth/token")
#: Requests drawn per operation (users, valid and invalid data together).
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
BASE_URL = "http://testserver"
#: Who sends the requests: every fuzzed user, and nobody (None: no token).
SENDERS: list[str | None] = [*FUZZ_USERS, None]
#: Who may write through an operation (by its path's start): the fuzzer sends a write as
#: one of them three times in four, so that bounded examples reach past "403 not yours".
WRITERS: dict[str, list[str]] = {
    "/api/intake/": ["olga", "dual"],
    "/api/cases/{case_id}/operation": ["petro"],
    "/api/cases/{case_id}/assignments": ["petro"],
    "/api/cases/{case_id}/arrival": ["roman"],
    "/api/cases": ["olga", "dual"],
    "/api/operations/{operation_id}/live": ["kyrylo", "dual"],
    "/api/operations": ["petro"],
    "/api/areas": ["petro"],
    "/api/custody/receipts": ["roman"],
    "/api/custody": ["rita"],
    "/api/exports": ["roman", "rita"],
}


def _senders(method: str, path: str) -> st.SearchStrategy[str | None]:
    """Who sends a request to ``method path``: anyone, or mostly its writers."""
    anyone = st.sampled_from(SENDERS)
    if method == "GET":
        return anyone
    for start, writers in WRITERS.items():
        if path.startswith(start):
            return st.one_of(anyone, st.sampled_from(writers), st.sampled_from(writers),
                             st.sampled_from(writers))  # fmt: skip
    return anyone


def api_schema(world: World, links: Iterable[Link] = ()) -> Any:
    """The service's own OpenAPI document (``/openapi.json``), loaded by Schemathesis, with
    ``links`` added to it (OpenAPI links, which stateful testing follows)."""
    answer = world.client.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    document = answer.json()
    for link in links:
        source = document["paths"][link.source[1]][link.source[0].lower()]
        target = document["paths"][link.target[1]][link.target[0].lower()]
        source["responses"][link.status].setdefault("links", {})[target["operationId"]] = {
            "operationId": target["operationId"],
            "parameters": dict(link.parameters),
        }
    return schemathesis.openapi.from_dict(document)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: after ``source`` (method, path) answered ``status``, call ``target``
    with ``parameters`` (parameter name -> runtime expression, e.g. ``$response.body#/id``)."""

    source: tuple[str, str]
    status: str
    target: tuple[str, str]
    parameters: tuple[tuple[str, str], ...] = ()


def _operations(world: World) -> list[Any]:
    schema = api_schema(world)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            found.append(operation)
    return found


def _send(world: World, session: ASGIClient, user: str | None, case: Any) -> None:
    """Send ``case`` as ``user`` and check the answer: documented, and no leak."""
    headers = world.headers(user) if user else {}
    response = case.call(base_url=BASE_URL, session=session, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    found = _leaks(world, user, case, response)
    assert not found, (
        f"{case.operation.method.upper()} {case.formatted_path} as {user}: {response.status_code}"
        " answered fields the user's roles may not receive:\n  " + "\n  ".join(found)
    )


def _leaks(world: World, user: str | None, case: Any, response: Any) -> list[str]:
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        return []
    body = response.json()
    roles = FUZZ_USERS.get(user or "", ())
    if response.status_code >= 400:
        return oracle.leaks("problem", body, roles, own=False)
    key = (case.operation.method.upper(), case.operation.path)
    record = oracle.ANSWERS.get(key)
    if record is None:
        return [f"{key}: a JSON answer the oracle does not know"]
    engine = world.engine
    if record == "case_page":  # each listed case is the user's own or not
        found = oracle.leaks("case_page", {"next": body.get("next")}, roles, own=True)
        for item in body.get("items", []):
            own = bool(user) and oracle.owns(engine, str(user), item.get("id"))
            found += oracle.leaks("case_listed", item, roles, own=own, where=f"[{item.get('id')}]")
        return found
    sent = case.body if isinstance(case.body, dict) else {}
    case_id = oracle.case_of(engine, dict(case.path_parameters or {}), sent or body)
    # A record of no one case (an area, the team, the registrar's prisoners) is "own" to all.
    own = case_id is None or (bool(user) and oracle.owns(engine, str(user), case_id))
    return oracle.leaks(record, body, roles, own=own)


def _fuzz(world: World, operation: Any, session: ASGIClient) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    names = [p.name for p in operation.path_parameters]
    sign_in = (operation.method.upper(), operation.path) == SIGN_IN
    senders = _senders(operation.method.upper(), operation.path)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        user = data.draw(senders, label="user")
        case = data.draw(strategy, label="case")
        if names and data.draw(st.booleans(), label="known ids"):
            for name in names:
                if world.known.get(name):
                    case.path_parameters[name] = data.draw(
                        st.sampled_from(world.known[name]), label=name
                    )
        # Never the world's users' names at sign-in: a lockout would end their sign-ins.
        body = case.body if sign_in and isinstance(case.body, dict) else {}
        if str(body.get("username", "")).strip().lower() in FUZZ_USERS:
            body["username"] = "nobody-fuzzed"
        _send(world, session, user, case)

    run()


def _all_failures(world: World, attempts: list[tuple[str, Any]]) -> None:
    """Run each (label, thunk); then fail once, telling every failure."""
    failures = []
    for label, attempt in attempts:
        try:
            attempt()
        except (Exception, BaseExceptionGroup) as error:  # every operation, then all failures
            failures.append(f"{label}: {error}")
    assert not failures, f"{len(failures)} failed:\n\n" + "\n\n".join(failures)


def _sweep(world: World, operations: list[Any], session: ASGIClient) -> list[tuple[str, Any]]:
    """Every GET of every record the world holds, as every user (signed in)."""
    attempts = []
    for operation in operations:
        if operation.method.upper() != "GET":
            continue
        names = [p.name for p in operation.path_parameters]
        choices = [world.known.get(name, []) for name in names]
        for values in itertools.product(*choices):
            path = dict(zip(names, values, strict=True))
            for user in FUZZ_USERS:

                def attempt(op: Any = operation, user: str = user, path: Any = path) -> None:
                    _send(world, session, user, op.Case(path_parameters=path))

                attempts.append((f"GET {operation.path} {path} as {user}", attempt))
    return attempts


#: A NUL in text: PostgreSQL refuses it in a text column (SQLite stores it), and
#: Hypothesis seldom draws one within bounded examples, so every free-text field gets one;
#: then a lone surrogate (``\\ud800``, valid JSON but no Unicode text) in its place.
NUL = "a\x00b"


def _nul_in_every_text(world: World) -> list[tuple[str, Any]]:
    """A NUL, then a lone surrogate, in each free-text field of the API: stored or
    refused, never a 5xx."""
    case, led, custody, chat = (world.known["case_id"][i] for i in (0, 1, 2, 3))
    operation = world.known["operation_id"][0]
    position = {"kind": "drone", "lat": 48.5, "lon": 38.0, "at": "2026-01-01T00:00:00Z",
                "source": "vehicle", "label": NUL}  # fmt: skip
    prisoner = {"surname": NUL, "first_names": NUL, "rank": NUL, "date_of_birth": "1990-01-01",
                "service_number": NUL, "captured_on": "2026-01-01", "health": "good",
                "language": "ru"}  # fmt: skip
    sends: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("POST", "/api/cases", {"json": {"language": NUL, "channel": NUL}}, "olga"),
        ("POST", f"/api/cases/{case}/transitions", {"json": {"transition": NUL}}, "olga"),
        ("POST", f"/api/cases/{case}/messages", {"data": {"text": NUL, "direction": "in"}}, "olga"),
        ("POST", f"/api/intake/conversations/{chat}/replies", {"json": {"text": NUL}}, "olga"),
        ("POST", f"/api/cases/{case}/assignments", {"json": {"user": NUL, "role": NUL}}, "petro"),
        ("POST", "/api/custody/prisoners", {"json": prisoner}, "rita"),
        ("POST", "/api/exports", {"json": {"case_id": custody, "purpose": NUL,
                                           "password": "a long enough password"}}, "roman"),
        ("POST", "/api/exports", {"json": {"case_id": custody, "purpose": "transfer",
                                           "password": "a long enough password",
                                           "blur": False, "reason": NUL}}, "rita"),
        ("POST", "/api/auth/token", {"data": {"username": NUL, "password": NUL}}, None),
        ("GET", "/api/areas/a%00b", {}, "petro"),
        ("GET", "/api/cases?after=a%00b", {}, "petro"),
        ("GET", "/api/custody/receipts/a%00b.pdf", {}, "roman"),
        ("GET", "/api/exports/a%00b.zip", {}, "roman"),
        ("POST", f"/api/operations/{operation}/live/positions",
         {"json": {"positions": [position], "status": NUL}}, "kyrylo"),
        ("POST", f"/api/cases/{led}/operation", {"json": {"area": NUL, "meeting_lat": 1,
                                                          "meeting_lon": 1}}, "petro"),
    ]  # fmt: skip

    def attempt(method: str, url: str, kwargs: dict[str, Any], user: str | None) -> None:
        headers = world.headers(user) if user else {}
        answer = world.client.request(method, url, headers=headers, **kwargs)
        assert answer.status_code < 500, answer.text
        if "json" in kwargs:  # and a lone surrogate, which only an escape in JSON carries
            text = json.dumps(kwargs["json"]).replace("\\u0000", "\\ud800")
            headers["Content-Type"] = "application/json"
            answer = world.client.request(method, url, headers=headers, content=text.encode())
            assert answer.status_code < 500, f"a lone surrogate: {answer.text}"

    return [
        (f"{m} {u} with a NUL as {who}", lambda m=m, u=u, k=k, who=who: attempt(m, u, k, who))
        for m, u, k, who in sends
    ]


def test_the_api_answers_as_documented_and_leaks_nothing(world: World) -> None:
    """The sweep, then the fuzzing (see the module's docstring): no 5xx, nothing
    undocumented, no field the sender's roles may not receive; every failure told. Then a
    NUL in every free-text field (:func:`_nul_in_every_text`)."""
    operations = _operations(world)
    session = ASGIClient(world.client.app)
    fuzzing = [
        (f"{op.method.upper()} {op.path}", lambda op=op: _fuzz(world, op, session))
        for op in operations
    ]
    _all_failures(
        world, [*_sweep(world, operations, session), *fuzzing, *_nul_in_every_text(world)]
    )
    # The fuzzed sign-ins locked none of the world's users out.
    for user in FUZZ_USERS:
        assert (
            world.client.post(
                "/api/auth/token", data={"username": user, "password": PASSWORD}
            ).status_code
            == 200
        ), user
