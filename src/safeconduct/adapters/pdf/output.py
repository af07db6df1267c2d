"""Writing the note's files: the PDF and its previews arrive together, whole, or not at all.

Each file is written under a staged name beside its final one and renamed only once every
file is complete (:func:`safeconduct.adapters.files.atomic.output_set`, which holds Ctrl-C
back while they move), so an error or an interruption leaves no file half-written and no
earlier file changed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from safeconduct.adapters.files.atomic import check_writable, output_set
from safeconduct.errors import BadFileError


class AtomicNoteFiles:
    """The note's output files on the local file system (the service's ``NoteFiles`` port)."""

    def check_writable(self, path: str | os.PathLike[str]) -> None:
        """Fail before any work if ``path`` could not be written.

        Raises
        ------
        BadFileError
            ``path`` is a folder, its folder is missing, or that folder is not writable.
        """
        check_writable(path, example="note.pdf")

    def write_files(self, files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> None:
        """Write each ``(path, content)``; every final name appears only if all were written.

        Raises
        ------
        BadFileError
            A file cannot be written; then none of ``files`` is left behind.
        """
        with output_set(*(path for path, _ in files)) as staged:
            for tmp, (path, data) in zip(staged, files, strict=True):
                try:
                    tmp.write_bytes(data)
                except OSError as exc:
                    raise BadFileError(f"cannot write {path}: {exc.strerror}") from exc
