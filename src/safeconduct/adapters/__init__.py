"""Adapters: the edges. Each implements ports of :mod:`safeconduct.services.ports` with an
edge library.

They import domain values and the ports, never a use case, an entry point or the bootstrap;
only :mod:`safeconduct.bootstrap` and the entry points import them.
"""
