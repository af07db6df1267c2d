"""Users: added with an argon2 hash and roles, listed without it, refused when wrong."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from safeconduct.casework.roles import Role
from safeconduct.errors import InvalidValueError
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user, list_users
from tests.store.conftest import FAST_PASSWORDS

PASSWORD = "correct horse battery staple"


def test_add_and_list_users(ports: CaseworkPorts) -> None:
    now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    anna = add_user(ports, " Anna ", "planner", PASSWORD, now=now, actor=CONSOLE)
    assert anna.name == "anna"
    assert anna.roles == (Role.PLANNER,)
    add_user(ports, "boris.k", ["crew", "reception,crew"], PASSWORD + "!", actor=CONSOLE)
    users = list_users(ports, actor=CONSOLE)
    assert [u.name for u in users] == ["anna", "boris.k"]
    assert users[0].created_at == now
    assert users[1].roles == (Role.CREW, Role.RECEPTION)
    assert all("password_hash" not in asdict(u) for u in users)


def test_only_an_argon2_hash_of_the_password_is_stored(ports: CaseworkPorts) -> None:
    add_user(ports, "anna", "operator", PASSWORD, actor=CONSOLE)
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.users.get("anna")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert FAST_PASSWORDS.verify(stored.password_hash, PASSWORD)
    assert not FAST_PASSWORDS.verify(stored.password_hash, PASSWORD.upper())


def test_a_duplicate_user_is_refused_and_nothing_changes(ports: CaseworkPorts) -> None:
    add_user(ports, "anna", "operator", PASSWORD, actor=CONSOLE)
    with pytest.raises(InvalidValueError) as caught:
        add_user(ports, "ANNA", "admin", "another long password", actor=CONSOLE)
    assert caught.value.field == "name"
    assert "exists already" in caught.value.message
    assert [(u.name, u.roles) for u in list_users(ports, actor=CONSOLE)] == [
        ("anna", (Role.OPERATOR,))
    ]


def test_the_store_refuses_a_duplicate_that_slipped_past_the_check(
    ports: CaseworkPorts,
) -> None:
    # Two processes adding the same name at once: the unique constraint decides.
    add_user(ports, "anna", "operator", PASSWORD, actor=CONSOLE)
    with ports.database.unit_of_work() as uow:
        existing = uow.users.get("anna")
        assert existing is not None
        with pytest.raises(InvalidValueError) as caught:
            uow.users.add(existing)
        assert caught.value.field == "name"
        assert len(uow.users.list_all()) == 1  # the transaction is still usable


@pytest.mark.parametrize("role", ["pilot", "", " , ", ["crew", "boss"]])
def test_an_unknown_role_is_refused(ports: CaseworkPorts, role: str | list[str]) -> None:
    with pytest.raises(InvalidValueError) as caught:
        add_user(ports, "anna", role, PASSWORD, actor=CONSOLE)
    assert caught.value.field == "role"
    assert "operator, planner, crew, reception, registrar, auditor, admin" in caught.value.message
    assert list_users(ports, actor=CONSOLE) == []


@pytest.mark.parametrize(
    "password", ["", "Qz7!kp", "aaaaaaaaaaaaaaa", "my name is anna!", "x" * 2000]
)
def test_a_weak_password_is_refused_without_being_shown(
    ports: CaseworkPorts, password: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        add_user(ports, "anna", "crew", password, actor=CONSOLE)
    assert caught.value.field == "password"
    assert not caught.value.message.startswith("--")
    assert not password or password not in str(caught.value)
    assert list_users(ports, actor=CONSOLE) == []


@pytest.mark.parametrize("name", ["", "   ", "-anna", "anna smith", "a" * 65, "anna;drop"])
def test_a_malformed_user_name_is_refused(ports: CaseworkPorts, name: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        add_user(ports, name, "crew", PASSWORD, actor=CONSOLE)
    assert caught.value.field == "name"


def test_a_unit_of_work_that_raises_writes_nothing(ports: CaseworkPorts) -> None:
    add_user(ports, "anna", "crew", PASSWORD, actor=CONSOLE)
    with pytest.raises(RuntimeError), ports.database.unit_of_work() as uow:
        existing = uow.users.get("anna")
        assert existing is not None
        uow.users.add(type(existing)(**{**asdict(existing), "name": "boris"}))
        assert len(uow.users.list_all()) == 2
        raise RuntimeError("a later step failed")
    assert [u.name for u in list_users(ports, actor=CONSOLE)] == ["anna"]


def test_a_read_only_unit_of_work_cannot_write_on_postgresql(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    if engine.dialect.name != "postgresql":
        return  # SQLite has no read-only transactions; the flag only skips its write lock
    add_user(ports, "anna", "crew", PASSWORD, actor=CONSOLE)
    with pytest.raises(sa.exc.InternalError), ports.database.unit_of_work(read_only=True) as uow:
        existing = uow.users.get("anna")
        assert existing is not None
        uow.users.add(type(existing)(**{**asdict(existing), "name": "boris"}))
