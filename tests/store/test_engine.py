"""Which database a command uses, and how a wrong one is reported (no server needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safeconduct.adapters.store.engine import (
    create_store_engine,
    describe,
    parse_database_url,
    resolve_database_url,
)
from safeconduct.errors import BadFileError, InvalidValueError


def test_the_default_is_sqlite_in_the_data_folder() -> None:
    url = resolve_database_url(environ={})
    assert url.drivername == "sqlite+pysqlite"
    assert url.database == os.path.join("safeconduct-data", "safeconduct.db")
    assert resolve_database_url("/srv/sc", environ={}).database == "/srv/sc/safeconduct.db"


def test_an_explicit_choice_beats_the_environment() -> None:
    env = {"SAFECONDUCT_DB": "postgresql://postgres@db.example:5432/prod"}
    assert resolve_database_url(environ=env).host == "db.example"
    assert resolve_database_url("here", environ=env).drivername == "sqlite+pysqlite"
    assert resolve_database_url(db="sqlite:///x.db", environ=env).database == "x.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    url = parse_database_url(f"{scheme}://u:pw@h:5433/name")
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database) == ("h", 5433, "name")
    assert describe(url) == "postgresql+psycopg://u:***@h:5433/name"


@pytest.mark.parametrize(
    "text", ["", "not a url", "mysql://u@h/d", "postgresql+psycopg2://u@h/d", "sqlite://"]
)
def test_a_url_we_cannot_use_is_refused(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_database_url(text)
    assert caught.value.field == "db"
    assert not caught.value.message.startswith("--")


def test_both_a_folder_and_a_url_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        resolve_database_url("data", "sqlite:///x.db", environ={})
    assert caught.value.field == "db"


def test_a_data_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(BadFileError) as caught:
        create_store_engine(resolve_database_url(blocker / "data", environ={}))
    assert caught.value.field == "data"
    assert "cannot create the data folder" in caught.value.message
