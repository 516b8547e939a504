"""Text helpers built on mono_core."""

from mono_core import greeting

__all__ = ["shout"]


def shout(name: str) -> str:
    """The core's greeting, in capitals."""
    return greeting(name).upper()
