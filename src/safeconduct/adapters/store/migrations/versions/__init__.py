"""The revisions, oldest first: ``0001`` users and roles, ``0002`` cases and their events."""
