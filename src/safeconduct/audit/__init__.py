"""The tamper-evident audit trail (GUIDE §4, data protection), as plain values with no I/O.

- :mod:`.chain`: an entry, its canonical bytes, the SHA-256 hash chain, checkpoints and
  the verification that names the first bad entry and why.
"""
