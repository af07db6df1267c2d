"""The mission's files in one folder, written all or nothing.

For a :class:`~safeconduct.mission.sorties.MissionPlan`, :func:`write_mission_folder`
writes into the output folder:

- ``sortie-N.plan`` (QGroundControl) and ``sortie-N.waypoints`` (``QGC WPL 110``) per
  sortie, planned home = the launch point;
- ``sortie-N.parm`` per sortie: the vehicle parameters its timing assumes
  (:mod:`~safeconduct.adapters.formats.param_file`), for the crew to load;
- ``mission.geojson``: every sortie's flight path, the launch, drop, waiting and
  reception points, for maps (:mod:`~safeconduct.adapters.formats.mission_geojson`);
- ``schedule.json``: :func:`~safeconduct.mission.schedule.schedule_document`.

The files are written into a hidden folder beside their destination and only then moved
into place, so a failure leaves no partial output. Sortie files of an earlier, longer
plan in the same folder (``sortie-7.plan`` when this plan has 5 sorties) are removed, so
that no crew loads a stale sortie.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

from safeconduct.adapters.files.atomic import atomic_folder
from safeconduct.adapters.formats.mission_geojson import write_mission_geojson
from safeconduct.adapters.formats.param_file import param_file_text
from safeconduct.adapters.formats.qgc_plan import write_qgc_plan
from safeconduct.adapters.formats.qgc_wpl import write_wpl
from safeconduct.mission.schedule import schedule_document
from safeconduct.mission.sorties import MissionPlan

_SORTIE_FILE = re.compile(r"^sortie-(\d+)\.(plan|waypoints|parm)$")


def write_mission_folder(
    plan: MissionPlan, out_dir: str | os.PathLike[str]
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Write every file of ``plan`` into ``out_dir``, all or nothing.

    Parameters
    ----------
    plan
        The planned sorties.
    out_dir
        The folder; created if missing (its parent must exist).

    Returns
    -------
    (written, removed)
        The files written, and the stale sortie files of an earlier plan removed.

    Raises
    ------
    BadFileError
        ``out_dir`` is a file, or it (or its parent) cannot be written; nothing is
        written then.
    """
    out = Path(out_dir)
    with atomic_folder(out, prefix=".mission-") as staging:
        names = _write_files(plan, staging)
    keep = set(names)
    removed = []
    for p in sorted(out.iterdir()):
        m = _SORTIE_FILE.match(p.name)
        if m and p.name not in keep and int(m[1]) > len(plan.sorties):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    return tuple(out / n for n in names), tuple(removed)


def _write_files(plan: MissionPlan, folder: Path) -> list[str]:
    # One home, rounded as the items are, so the .plan and .waypoints agree to the digit.
    home_item = plan.home_item()
    home = (home_item.lat, home_item.lon, home_item.alt)
    wpl_home = home_item if plan.firmware == "ardupilot" else None
    speed = plan.profile.cruise_speed_ms
    names = []
    params = plan.vehicle_parameters
    for s in plan.sorties:
        plan_name, wpl_name = f"sortie-{s.number}.plan", f"sortie-{s.number}.waypoints"
        parm_name = f"sortie-{s.number}.parm"
        write_qgc_plan(folder / plan_name, s.items, home=home, firmware=plan.firmware,
                       cruise_speed_ms=speed, hover_speed_ms=speed)  # fmt: skip
        write_wpl(folder / wpl_name, s.items, home=wpl_home)
        header = [
            f"safeconduct: parameters for sortie {s.number} ({plan.profile.name}, "
            f"{plan.firmware}); load before flying {plan_name} / {wpl_name}",
            "the sortie's times are planned with these values",
        ]
        (folder / parm_name).write_text(param_file_text(params, header), encoding="utf-8")
        names += [plan_name, wpl_name, parm_name]
    write_mission_geojson(folder / "mission.geojson", plan)
    doc = schedule_document(plan)
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    (folder / "schedule.json").write_text(text, encoding="utf-8")
    return [*names, "mission.geojson", "schedule.json"]


class MissionFolderWriter:
    """:class:`~safeconduct.services.ports.MissionFolders` on a folder of files."""

    def write_mission(
        self, plan: MissionPlan, out_dir: str | os.PathLike[str]
    ) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        return write_mission_folder(plan, out_dir)


__all__ = ["MissionFolderWriter", "write_mission_folder"]
