"""The coordination service's web entry point: a FastAPI app over the casework use cases.

:func:`safeconduct.entrypoints.web.app.create_app` builds the app on a
:class:`~safeconduct.services.casework.CaseworkPorts` bundle; ``safeconduct serve`` runs it
on uvicorn. Routes are thin: the session's user arrives through a dependency
(:mod:`.deps`), the use case checks the access table, and :mod:`.errors` turns the library's
errors into HTTP answers in one place. Request and response shapes (pydantic) live in
:mod:`.schemas`, never in the services.
"""
