"""The ``safeconduct`` command line (Typer): :mod:`.app` holds the root and the planning
commands, one module per other command family; :mod:`.errors` maps library errors to flags
and exit codes; :mod:`.display` draws tables and progress bars."""
