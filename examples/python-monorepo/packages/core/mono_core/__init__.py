"""The shared core: a greeting."""

__all__ = ["greeting"]


def greeting(name: str) -> str:
    """`Hello, <name>!`."""
    return f"Hello, {name}!"
