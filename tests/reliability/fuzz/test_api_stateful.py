"""The REST API fuzzed in chains (Schemathesis' stateful testing), as each role that writes.

The single-request fuzzing (:mod:`.test_api_fuzz`) draws ids from the world it was given;
this test lets the API make its own: Schemathesis infers from the OpenAPI document which
answers carry an id another operation takes (``POST /api/cases`` → ``case_id`` →
``POST /api/cases/{case_id}/transitions`` → ...), and Hypothesis runs sequences of such
calls, each step fed by an earlier answer (a case opened, then moved, written to, read
back; a prisoner listed, then read, then its card printed). A sequence runs as one user,
for each user who writes something (operator, planner, crew, reception, registrar, and
the operator who is also crew), on SQLite and PostgreSQL, on the same world.

Every answer is checked as in the single-request fuzzing: never a 5xx, documented, and no
field the user's roles may not receive (:mod:`.oracle`). Deterministic (derandomized,
bounded sequences). Left out, as there: the event streams, and the sign-in (a chain of
failed sign-ins could lock a world user out).
"""

from __future__ import annotations

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
    _leaks,
    api_schema,
)

#: Users whose sequences are run: each one who may write through some operation.
CHAINERS = ("olga", "petro", "kyrylo", "roman", "rita", "dual")
#: Sequences per user, and the most steps in one.
SEQUENCES, STEPS = 12, 10


#: Fields whose schema is any text but whose values the service knows (a language code, a
#: channel, a transition's name), set to a value it takes: a chain can only use a case it
#: made (the single-request fuzzing sends these fields anything).
KNOWN_VALUES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/cases"): {"language": "ru", "channel": "chat"},
    ("POST", "/api/cases/{case_id}/transitions"): {"transition": "schedule"},
}


def _make_valid_where_free_text_is_not(case: Any) -> None:
    """Set :data:`KNOWN_VALUES` in a valid (positive) request; an invalid one is left as
    drawn, since it must be refused."""
    fixed = KNOWN_VALUES.get((case.operation.method.upper(), case.operation.path))
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if fixed and isinstance(case.body, dict) and not negative:
        case.body.update(fixed)


def _machine(world: World, schema: Any, user: str) -> Any:
    """The state machine of ``schema``, calling the API as ``user`` and checking each
    answer."""
    session = ASGIClient(world.client.app)
    headers = world.headers(user)

    class AsUser(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            _make_valid_where_free_text_is_not(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": BASE_URL, "session": session, "headers": headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
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
    schema = api_schema(world)
    for method, path in [*SKIPPED, SIGN_IN]:
        schema = schema.exclude(method=method, path=path)
    failures = []
    for user in CHAINERS:
        try:
            _machine(world, schema, user).run(settings=settings)
        except (Exception, BaseExceptionGroup) as error:  # every user, then all failures
            failures.append(f"as {user}: {error}")
    assert not failures, f"{len(failures)} failed:\n\n" + "\n\n".join(failures)
