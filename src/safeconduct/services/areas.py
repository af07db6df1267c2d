"""Areas of operations: writing the bundled samples that tests, demos and newcomers use."""

from __future__ import annotations

import os

from safeconduct.services.ports import Areas

PathLike = str | os.PathLike[str]


def write_sample(areas: Areas, out_dir: PathLike, *, area: str, seed: int) -> str:
    """Write a sample area into ``out_dir`` and return a short summary for people.

    Parameters
    ----------
    area
        ``"synthetic"``: the seeded 8 x 8 km area with its GeoJSON layers;
        ``"jacksboro"``: the real Jacksboro fault DEM (geographic GeoTIFF) alone.
    seed
        Seed of the synthetic generator.
    """
    return areas.write_sample(out_dir, area=area, seed=seed)
