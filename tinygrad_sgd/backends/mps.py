"""``torch.backends.mps`` (Apple's GPUs): never available here, so a program's usual choice
``"mps" if torch.backends.mps.is_available() else "cpu"`` picks the CPU."""

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Whether an MPS device can be used: never, here."""
    return False


def is_built() -> bool:
    """Whether the library was built with MPS support: it was not."""
    return False
