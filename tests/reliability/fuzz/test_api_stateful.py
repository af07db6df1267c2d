"""The REST API fuzzed in chains (Schemathesis' stateful testing), as each role that writes.

The single-request fuzzing (:mod:`.test_api_fuzz`) draws ids from the world it was given;
this test lets the API make its own: Schemathesis infers from the OpenAPI document which
answers carry an id another operation takes (``POST /api/cases`` → ``case_id`` →
``POST /api/cases/{case_id}/transitions`` → ...), and Hypothesis runs sequences of such
calls, each step fed by an earlier answer (a case opened, moved forward, given its
operation, planned, written to, read back; a prisoner registered, then read, given events,
a receipt and his card printed). A sequence runs as one user, for each user who writes
something (operator, planner, crew, reception, registrar, the operator who is also crew,
and a small post's one person who holds every role but auditor and admin), on SQLite and
PostgreSQL, on the same world. The test also checks that the chains still reach some of
those deep writes (:data:`DEEP`).

Every answer is checked as in the single-request fuzzing: never a 5xx, documented, and no
field the user's roles may not receive (:mod:`.oracle`). Derandomized, bounded
sequences. Left out, as there: the event streams, and the sign-in (a chain of
failed sign-ins could lock a world user out).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase
from schemathesis.python.asgi import ASGIClient

from tests.reliability.fuzz.conftest import World
from tests.reliability.fuzz.test_api_fuzz import (
    BASE_URL,
    CHECKS,
    SIGN_IN,
    SKIPPED,
    Link,
    _leaks,
    api_schema,
)

#: Users whose sequences are run: each one who may write through some operation, and the
#: small post's one person, whose chains can take a case from its opening to its operation.
CHAINERS = ("olga", "petro", "kyrylo", "roman", "rita", "dual", "outpost")
#: Sequences per user, and the most steps in one.
SEQUENCES, STEPS = 12, 10


#: Fields whose schema is any text but whose values the service knows (a language code, a
#: channel), set to a value it takes: a chain can only use a case it made (the
#: single-request fuzzing sends these fields anything). Bodies that need a point inside the
#: area or a registration's dates come from the world (:attr:`World.bodies`).
KNOWN_VALUES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/cases"): {"language": "ru", "channel": "chat"},
    ("POST", "/api/cases/{case_id}/assignments"): {"role": "reception", "user": "outpost"},
}
#: Links the service's document does not state but a registrar follows: after the list of
#: prisoners, a registration (Schemathesis does not start chains there by itself); a
#: prisoner just registered gets events, a capture card and a receipt (its body from the
#: world).
PRISONER = ("POST", "/api/custody/prisoners")
LINKS = (
    Link(("GET", "/api/custody/prisoners"), "200", PRISONER),
    Link(PRISONER, "201", ("POST", "/api/custody/prisoners/{prisoner_id}/events"),
         (("prisoner_id", "$response.body#/id"),)),
    Link(PRISONER, "201", ("GET", "/api/custody/prisoners/{prisoner_id}/card.pdf"),
         (("prisoner_id", "$response.body#/id"),)),
    Link(PRISONER, "201", ("POST", "/api/custody/receipts")),
)  # fmt: skip
#: Writes deep in a case's or a prisoner's life, with their success status: the chains
#: must succeed at one of them at least, so that the fuzzing cannot silently become shallow.
#: (Which ones, and how often, changes with the tests run before in the same process: the
#: sequences are derandomized but not independent of it.)
DEEP = (
    ("POST", "/api/cases/{case_id}/operation", 201),
    ("POST", "/api/custody/prisoners", 201),
    ("POST", "/api/custody/prisoners/{prisoner_id}/events", 201),
    ("POST", "/api/custody/receipts", 201),
)
#: A case's transitions in the order a case takes them: each transition request on a case
#: asks for the next one, so that a chain walks the case forward.
TRANSITIONS = "/api/cases/{case_id}/transitions"
FORWARD = ("schedule", "plan", "launch", "arrive")


def _make_valid_where_free_text_is_not(
    case: Any, bodies: dict[tuple[str, str], dict[str, Any]], walked: dict[Any, int]
) -> None:
    """Set the values the service takes in a valid (positive) request (:data:`KNOWN_VALUES`,
    ``bodies``, the case's next transition, counted in ``walked``); an invalid one is left
    as drawn, since it must be refused."""
    key = (case.operation.method.upper(), case.operation.path)
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative or not isinstance(case.body, dict):
        return
    case.body.update(bodies.get(key, {}) | KNOWN_VALUES.get(key, {}))
    if key == ("POST", TRANSITIONS):
        case_id = case.path_parameters.get("case_id")
        walked[case_id] = walked.get(case_id, 0) + 1
        case.body["transition"] = FORWARD[(walked[case_id] - 1) % len(FORWARD)]


def _machine(world: World, schema: Any, user: str, answered: Counter[tuple[str, str, int]]) -> Any:
    """The state machine of ``schema``, calling the API as ``user`` and checking each
    answer; counts in ``answered`` each (method, path, status) answered."""
    session = ASGIClient(world.client.app)
    headers = world.headers(user)

    class AsUser(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            if not hasattr(self, "walked"):  # one per sequence: case id -> transitions asked
                self.walked: dict[Any, int] = {}
            _make_valid_where_free_text_is_not(case, world.bodies, self.walked)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": BASE_URL, "session": session, "headers": headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            answered[case.operation.method.upper(), case.operation.path, response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)
            found = _leaks(world, user, case, response)
            assert not found, (
                f"{case.operation.method.upper()} {case.formatted_path} as {user}: "
                f"{response.status_code} answered fields the user's roles may not receive:\n  "
                + "\n  ".join(found)
            )

    return AsUser


def test_chains_of_calls_answer_as_documented_and_leak_nothing(world: World) -> None:
    """For each user of :data:`CHAINERS`, bounded sequences of linked calls: no 5xx,
    nothing undocumented, no field the user's roles may not receive."""
    settings = hypothesis.settings(
        max_examples=SEQUENCES,
        stateful_step_count=STEPS,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # a failure is told, not shrunk
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    schema = api_schema(world, LINKS)
    for method, path in [*SKIPPED, SIGN_IN]:
        schema = schema.exclude(method=method, path=path)
    failures = []
    answered: Counter[tuple[str, str, int]] = Counter()
    for user in CHAINERS:
        try:
            _machine(world, schema, user, answered).run(settings=settings)
        except (Exception, BaseExceptionGroup) as error:  # every user, then all failures
            failures.append(f"as {user}: {error}")
    assert not failures, f"{len(failures)} failed:\n\n" + "\n\n".join(failures)
    assert answered["POST", "/api/cases", 201] and any(answered[write] for write in DEEP), (
        "the chains no longer open a case or succeed at any of "
        + ", ".join(f"{method} {path}" for method, path, _ in DEEP)
        + ": give the requests the values they need (KNOWN_VALUES, World.bodies, LINKS)"
    )
