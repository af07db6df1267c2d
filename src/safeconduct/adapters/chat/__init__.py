"""Chat channels the intake talks through (:class:`~safeconduct.services.ports.ChatChannel`)."""
