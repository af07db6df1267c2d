"""The data folder as plan jobs see it: the area folders, and the files a plan leaves."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PathLike = str | os.PathLike[str]


class FolderPlans:
    """:class:`~safeconduct.services.ports.PlanFolders` on the local file system."""

    def area_names(self, areas_dir: PathLike) -> list[str]:
        folder = Path(areas_dir)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "dem.tif").is_file())

    def list_files(self, folder: PathLike) -> list[str]:
        root = Path(folder)
        if not root.is_dir():
            return []
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not p.is_symlink()
        )

    def make_folder(self, folder: PathLike) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)

    def remove_hidden_folders(self, folder: PathLike, prefix: str) -> int:
        root = Path(folder)
        if not prefix.startswith(".") or not root.is_dir():
            return 0  # only hidden staging folders are ever removed
        stale = [p for p in root.iterdir() if p.name.startswith(prefix) and p.is_dir()]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        return len(stale)
