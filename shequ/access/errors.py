"""Exceptions raised by the accessibility engine.

Both carry a message meant for a person: what is wrong and where.
"""


class AccessError(Exception):
    """Base class of the engine's errors."""


class NetworkError(AccessError):
    """A road network could not be read or built (unreadable, malformed or empty file)."""


class InputError(AccessError):
    """Origins, facilities or parameters are malformed (e.g. bad GeoJSON)."""
