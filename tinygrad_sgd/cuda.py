"""``tinygrad_sgd.cuda``: there is no GPU here, so a torch program's usual check
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU."""

__all__ = ["is_available", "device_count"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0
