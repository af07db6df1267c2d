"""Alembic revisions of the store, shipped inside the package and run on start-up.

:mod:`safeconduct.adapters.store.migrate` runs them; there is no ``alembic.ini``. To write a
new revision, copy the newest file in ``versions/``, give it the next number as ``revision``
and the previous one as ``down_revision``, and keep :mod:`..models` in step (a test checks
that the models and the migrated schema agree).
"""
