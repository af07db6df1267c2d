"""The one place where the command line translates library errors for people.

A :class:`~safeconduct.errors.SafeconductError` names the input it concerns by the
library's parameter name (``field="pace_factor"``); here that becomes the flag a user
typed (``--pace-factor``), and the error's class becomes the exit status.
"""

from __future__ import annotations

from safeconduct.errors import InvalidValueError, SafeconductError, SameFileError

#: Exit status of each error class (the most specific class listed wins); others exit 1.
EXIT_CODES: dict[type[SafeconductError], int] = {
    InvalidValueError: 2,  # a malformed or missing argument: a usage error
}

#: Fields whose flag is not simply ``--`` + the field with ``-`` for ``_``.
FLAGS: dict[str, str] = {
    "point": "POINT",
    "source": "SOURCE",
    "flow": "FLOW",
    "mission_file": "FILE",
    "max_slope_deg": "--max-slope",
    "signal_wait_s": "--signal-wait",
    "wind_ms": "--wind",
    "timeout_s": "--timeout",
    "langs": "--lang",
    "language": "--lang",
    "name": "NAME",
    "user": "USER",
    "password": "--password-stdin",
    "area_dir": "--area",
    "out_dir": "--out",
    "out_path": "--out",
    "map_path": "--map",
    "dem_path": "--dem",
    "route_path": "--route",
    "reception_path": "--reception",
    "hazards_path": "--hazards",
    "observers_path": "--observers",
    # safeconduct lead
    "height_agl_m": "--height",
    "min_agl_m": "--min-height",
    "max_agl_m": "--max-height",
    "rate_hz": "--rate",
    "assume_yes": "--yes",
    "corridor_half_width_m": "--corridor",
    "speed_cap_ms": "--max-speed",
    "connect_timeout_s": "--timeout",
    # safeconduct signals
    "camera_elevation_deg": "--camera-elevation",
    "camera_elevation": "--camera-elevation",
    # safeconduct custody (a registration record's own fields are named as its keys)
    "record": "RECORD",
    "registration": "RECORD",
    "case": "--case",
    "prisoner_number": "--prisoner",
    "entries": "--prisoner",
    "items": "--item",
    "from_place": "--from",
    "to_place": "--to",
    "on": "--date",
    "escorts": "--escort",
    "effects_kept": "--effect",
    "prisoner_name": "--name",
    # safeconduct purge: the settings file's keys, as written in it
    "contact_days": "retention.contact_days",
    "ended_operation_days": "retention.ended_operation_days",
    "registration_handover_days": "retention.registration_handover_days",
    # safeconduct cases message
    "attachment": "--attach",
    "attachment_name": "--attach",
    "attachment_type": "--attach",
    "message": "MESSAGE_ID",
    # safeconduct restore
    "backup_file": "FILE",
}


def flag_for(field: str) -> str:
    """The command-line spelling of a library parameter: ``pace_factor`` -> ``--pace-factor``.

    A field already spelt as on the command line (``--out``, ``SOURCE``) is returned as is.
    """
    if field.startswith("-") or field.isupper():
        return field
    return FLAGS.get(field) or "--" + field.replace("_", "-")


def exit_code_for(error: SafeconductError) -> int:
    """The process exit status for ``error``: 2 for usage errors, 1 for every other user error."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def message_for(error: SafeconductError) -> str:
    """One line for the terminal: the flag concerned (if any), then the library's message."""
    if isinstance(error, SameFileError) and error.field:
        output, source = flag_for(error.field), flag_for(error.input_field)
        return (
            f"{output}: {error.path} is also the input given as {source}; writing it would "
            f"destroy that input: give {output} another path"
        )
    if error.field:
        return f"{flag_for(error.field)}: {error.message}"
    return error.message
