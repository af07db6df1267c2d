"""Use cases: each runs on domain values and reaches the world only through :mod:`.ports`.

A use case that touches files, vehicles or cameras takes the bundle of ports it needs as
its first argument; :mod:`safeconduct.bootstrap` builds the real ones.
"""
