"""x-amzn-RequestId values: random version-4 UUIDs, as AWS's are.

Each is 16 fresh bytes from the operating system (one getrandom call), so consecutive ids share
nothing: unlike a counter, they do not tell one account how many requests others made.
"""

from __future__ import annotations

import os

# The variant digit of an RFC 4122 UUID (binary 10xx) for each hex digit the random bytes gave.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A random UUID in its usual text form, version 4 (without building uuid.UUID objects, which cost
    more than the random bytes)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
