"""Live case changes: numbered in a bounded ring per process, shared between processes.

:class:`.memory.InProcessChangeBroker` serves one process (SQLite: one server process holds
the database's writers anyway); :class:`.postgres.PostgresChangeBroker` publishes with
PostgreSQL ``NOTIFY`` and listens with ``LISTEN`` on a thread of its own, so a change
made by any process (a server, a worker, the command line) reaches every server's boards.
Both implement :class:`safeconduct.services.ports.CaseChangeFeed`.
"""
