"""Time-ordered identifiers (UUID version 7, RFC 9562): keyset pagination by id follows
creation order, and ids leak nothing but their creation instant."""

from __future__ import annotations

import os
import uuid
from datetime import datetime


def new_id(now: datetime) -> str:
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68 & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
