"""The revisions, oldest first: ``0001`` users and roles, ``0002`` cases and their events,
``0003`` who opened each case and the web API's bearer tokens."""
