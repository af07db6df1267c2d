"""Tests of the casework domain: case status, case values, roles and the access policy."""
