"""A tiny command that says hello and knows its version."""

import sys
from importlib.metadata import version

__all__ = ["main"]


def main() -> int:
    """`hello-python --version` prints `hello-python <version>`; anything else says hello."""
    v = version("hello-python")
    if sys.argv[1:] == ["--version"]:
        print(f"hello-python {v}")
    else:
        print(f"hello from hello-python {v}")
    return 0
