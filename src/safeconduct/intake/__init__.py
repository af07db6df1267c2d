"""Intake conversations as data: goflow-subset flows, a pure engine, a validator.

Pure domain: no I/O, no edge library. The service (:mod:`safeconduct.services.intake`) stores
the run state sealed and carries messages; see :mod:`safeconduct.intake.flow` for the format.
"""
