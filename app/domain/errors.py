"""Domain errors: a stable machine `code` (the problem+json `code`) and a French-free,
personal-data-free `detail`. The HTTP edge maps each class to a status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. `code` is binding (RULES.md / issues name them)."""

    code = "domain-error"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field = field


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule of the input (422)."""

    code = "invalid-input"


class NotFound(DomainError):
    """The resource does not exist, or the caller may not know it exists (404)."""

    code = "not-found"


class Conflict(DomainError):
    """The request conflicts with the current state or a rule of the convention (409)."""

    code = "conflict"


class PreconditionRequired(DomainError):
    code = "precondition-required"


class PreconditionFailed(DomainError):
    code = "precondition-failed"


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not verify (401)."""

    code = "unauthorized"


class Forbidden(DomainError):
    """Verified caller without the scope the operation needs (403)."""

    code = "forbidden"
