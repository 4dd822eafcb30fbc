"""Domain errors raised by services; the API and pages turn them into clear answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request that breaks a rule. ``message`` is for people (Chinese), ``code`` for programs."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class Invalid(DomainError):
    status = 400
    code = "invalid"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class TooMany(DomainError):
    """More requests than a rule allows in a time (a resident's daily number of requests)."""

    status = 429
    code = "too_many"


class Conflict(DomainError):
    """The record exists already, or the transition is not allowed from its current state."""

    status = 409
    code = "conflict"
