"""Password hashes with argon2id (argon2-cffi): salted, slow on purpose, never reversible."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Passwords:
    """argon2id hashes as PHC strings (``$argon2id$v=19$m=...``).

    Parameters
    ----------
    time_cost, memory_cost_kib, parallelism
        argon2's cost parameters; the defaults are argon2-cffi's (RFC 9106's low-memory
        profile: 3 passes over 64 MiB). Tests pass cheaper ones.
    """

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost_kib: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        defaults = PasswordHasher()
        self._hasher = PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_cost_kib or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
