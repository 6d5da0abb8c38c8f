"""``tinygrad_sgd.xpu``: torch's Intel-GPU module on a CPU-only library. The examples' device
choice ``use_xpu = not args.no_xpu and torch.xpu.is_available()`` picks the CPU here, as on a
torch build without XPU; seeding and emptying the cache do nothing, waiting for one fails."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    """Seed the current XPU's generator: there is none, nothing to do."""
    int(seed)


def manual_seed_all(seed) -> None:
    """Seed every XPU's generator: there is none, nothing to do."""
    int(seed)


def empty_cache() -> None:
    """Release the XPU memory cache: there is none."""


def synchronize(device=None) -> None:
    """Wait for an XPU: torch without XPU fails here, and so does this library."""
    raise AssertionError("Torch not compiled with XPU enabled (tinygrad_sgd runs on the CPU "
                         "only)")
