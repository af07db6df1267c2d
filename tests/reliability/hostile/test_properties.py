"""Invariants behind the hostile-input tests, over many names and types (hypothesis): a
name that climbs out of its folder is always seen by the traversal detector, and an
export's entry names never leave their folder whatever MIME type a sender claims."""

from __future__ import annotations

import posixpath
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from safeconduct.entrypoints.web.errors import _CLIMB
from safeconduct.services import exports


@given(st.text(alphabet="./\\abc", max_size=12))
def test_every_name_that_climbs_out_of_its_folder_is_named_in_the_security_log(name: str) -> None:
    """The traversal detector (``errors.log_if_traversal``) names every relative name
    that leaves its folder once resolved."""
    resolved = posixpath.normpath(posixpath.join("base", name.replace("\\", "/")))
    if not name.startswith(("/", "\\")) and not (resolved + "/").startswith("base/"):
        assert _CLIMB.search(name) or _CLIMB.search(repr(name)), name


@given(st.text(max_size=40))
def test_an_export_entry_name_never_leaves_its_folder_whatever_the_type(subtype: str) -> None:
    message = SimpleNamespace(id=7, attachment_type=f"image/{subtype}", attachment=b"x")
    name = exports._attachment(SimpleNamespace(images=None), exports._Content(), message, False)
    assert name is not None
    folder, _, file_name = name.partition("/")
    assert folder == "attachments" and file_name.startswith("7.")
    assert file_name[2:].isalnum() and file_name[2:].isascii(), name
