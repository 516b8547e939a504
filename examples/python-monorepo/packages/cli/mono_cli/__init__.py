"""A command built on mono_text: `mono-cli NAME` shouts a greeting."""

import sys
from importlib.metadata import version

from mono_text import shout

__all__ = ["main"]


def main() -> int:
    """`mono-cli --version` prints the three packages' versions; `mono-cli NAME` shouts."""
    if sys.argv[1:] == ["--version"]:
        names = ["mono-core", "mono-text", "mono-cli"]
        print(" ".join(f"{n} {version(n)}" for n in names))
    else:
        print(shout(" ".join(sys.argv[1:]) or "world"))
    return 0
