"""Guidance missions: sorties that lead the person, endurance and relays, exporters, upload."""
