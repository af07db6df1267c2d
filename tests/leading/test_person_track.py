"""The person-track CSV: both time forms read, every bad row refused in one line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.adapters.formats.person_track import read_person_track, write_person_track
from safeconduct.errors import BadFileError


def test_seconds_and_iso_forms(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("time,lat,lon\n0,48.6,38.0\n2.5,48.60001,38.0\n")
    assert read_person_track(a) == [(0.0, 48.6, 38.0), (2.5, 48.60001, 38.0)]
    b = tmp_path / "b.csv"
    b.write_text(
        "time,lat,lon\n2026-11-27T21:00:00Z,48.6,38.0\n2026-11-27T23:00:04+02:00,48.6,38\n"
    )
    assert [r[0] for r in read_person_track(b)] == [0.0, 4.0]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("t,lat,lon\n0,1,2\n", "row 1 must be the header"),
        ("time,lat,lon\n", "no rows"),
        ("time,lat,lon\n0,48.6\n", "row 2: 2 columns"),
        ("time,lat,lon\n0,48.6,38\nx,48.6,38\n", "row 3 column time"),
        ("time,lat,lon\n0,91,38\n", "row 2 column lat"),
        ("time,lat,lon\n0,48.6,east\n", "row 2 column lon"),
        ("time,lat,lon\n5,48.6,38\n4,48.6,38\n", "earlier than the row before"),
        ("time,lat,lon\n2026-11-27T21:00:00,48.6,38\n", "no time zone"),
        ("time,lat,lon\n0,48.6,38\n2026-11-27T21:00:00Z,48.6,38\n", "mixes seconds"),
        ("time,lat,lon\n0,nan,38\n", "row 2 column lat"),
        ("time,lat,lon\n-1,48.6,38\n", "must be >= 0"),
    ],
)
def test_bad_rows_refused_in_one_line(tmp_path, text, needle):
    p = tmp_path / "t.csv"
    p.write_text(text)
    with pytest.raises(BadFileError) as info:
        read_person_track(p)
    assert needle in info.value.message
    assert "\n" not in info.value.message
    assert info.value.field == "person_track"


def test_missing_file(tmp_path):
    with pytest.raises(BadFileError, match="does not exist"):
        read_person_track(tmp_path / "none.csv")


@given(
    st.lists(
        st.tuples(st.floats(0, 1e5), st.floats(-90, 90), st.floats(-180, 180)),
        min_size=1,
        max_size=20,
    )
)
def test_round_trip(tmp_path_factory, rows):
    rows = sorted(rows)
    p = tmp_path_factory.mktemp("rt") / "t.csv"
    write_person_track(p, rows)
    back = read_person_track(p)
    assert len(back) == len(rows)
    for (t, la, lo), (t2, la2, lo2) in zip(rows, back, strict=True):
        assert abs(t - t2) <= 1e-3 and abs(la - la2) <= 1e-7 and abs(lo - lo2) <= 1e-7
