"""Vehicles over MAVLink (pymavlink): uploading a mission and reading it back."""
