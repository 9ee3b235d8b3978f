"""Storage units (R-UNIT-1, R-UNIT-1a): the one home of "Go" in bytes and of its display.

Sizes are integer bytes everywhere; the convention's own figures (41 Go, 500 Go) are read
with the `SIZE_UNIT` reading in force (SI gigabytes by default, GiB the other reading).
The R-STO-1/R-STO-2 hysteresis is 1 GB = 10^9 bytes whatever the reading."""

from __future__ import annotations

GB = 1_000_000_000
"""R-UNIT-1: one SI gigabyte in bytes (41 GB = 41,000,000,000 bytes)."""

GIB = 1 << 30
"""R-UNIT-1: one binary gigabyte (GiB), the other reading of "Go"."""

UNIT_LABELS = {GB: "Go", GIB: "Gio"}
"""R-UNIT-1: how each reading of "Go" is written for people."""


def go_in_bytes(go: int, size_unit: int = GB) -> int:
    """R-UNIT-1: `go` "Go" of the convention's text in bytes under the reading
    `size_unit` (41 → 41,000,000,000 in SI, 44,023,414,784 in GiB)."""
    return go * size_unit
