"""An operation's files in the data folder (``DATA/operations/<id>/``): removed when a purge
deletes the operation, so that its route, sorties and note do not outlive it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: The folder of the operations' files inside the data folder (as the operations use cases).
OPERATIONS_FOLDER = "operations"


class OperationFolders:
    """The folders of operations' files under one data folder.

    Parameters
    ----------
    data_dir
        The service's data folder.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self._root = Path(data_dir) / OPERATIONS_FOLDER

    def remove(self, operation_id: int) -> bool:
        """Delete ``DATA/operations/<operation_id>/`` and all in it; whether it was there."""
        folder = self._root / str(int(operation_id))
        if not folder.is_dir() or folder.is_symlink():
            return False
        shutil.rmtree(folder)
        return True
