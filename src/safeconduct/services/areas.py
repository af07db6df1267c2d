"""Areas of operations: writing the bundled samples that tests, demos and newcomers use."""

from __future__ import annotations

import os

from safeconduct.errors import InvalidValueError
from safeconduct.services.ports import Areas

PathLike = str | os.PathLike[str]


def check_seed(seed: int, field: str = "seed") -> None:
    """Refuse a seed numpy's generators cannot take (they need a whole number >= 0).

    Called before anything is written, so a refused seed leaves no folder behind.

    Raises
    ------
    InvalidValueError
        ``seed`` is negative.
    """
    if seed < 0:
        raise InvalidValueError(f"give a whole number 0 or more, not {seed}", field=field)


def write_sample(areas: Areas, out_dir: PathLike, *, area: str, seed: int) -> str:
    """Write a sample area into ``out_dir`` and return a short summary for people.

    Parameters
    ----------
    area
        ``"synthetic"``: the seeded 8 x 8 km area with its GeoJSON layers;
        ``"jacksboro"``: the real Jacksboro fault DEM (geographic GeoTIFF) alone.
    seed
        Seed of the synthetic generator: a whole number, 0 or more.

    Raises
    ------
    InvalidValueError
        A negative seed, or an unknown area; nothing is written then.
    """
    check_seed(seed)
    return areas.write_sample(out_dir, area=area, seed=seed)
