"""What a caller's precondition on a mutable resource accepts (optimistic concurrency).

Built by the HTTP edge from `If-Match` (RFC 9110 §13.1.1): `*` accepts whatever version
is current; a list accepts the versions whose strong entity tag it names. Weak tags
never match (If-Match uses the strong comparison) and a value that is not an entity tag
matches nothing, so both end as a stale precondition, never as an error of the service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Precondition:
    any_version: bool = False
    tags: frozenset[str] = frozenset()  # opaque tags, without their quotes

    def accepts(self, current_tag: str) -> bool:
        """Whether the resource whose strong tag (without quotes) is `current_tag` may
        change."""
        return self.any_version or current_tag in self.tags

    @classmethod
    def version(cls, version: int) -> Precondition:
        """Accepts exactly `version` (callers that read the resource themselves)."""
        return cls(tags=frozenset({str(version)}))
