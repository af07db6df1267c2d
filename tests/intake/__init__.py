"""Tests of the intake flows: format, validator, engine, terminal chat."""
