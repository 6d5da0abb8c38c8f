"""``tinygrad_sgd.xpu``: torch's Intel-GPU module on a CPU-only library. The examples' device
choice ``use_xpu = not args.no_xpu and torch.xpu.is_available()`` picks the CPU here, as on a
torch build without XPU; seeding and emptying the cache do nothing, waiting for one fails."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize"]


# no accelerator of any kind here: the same answers as torch.cuda's on a CPU build
from .cuda import (is_available, device_count, manual_seed,  # noqa: E402,F401
                   manual_seed_all, empty_cache)


def synchronize(device=None) -> None:
    """Wait for an XPU: torch without XPU fails here, and so does this library."""
    raise AssertionError("Torch not compiled with XPU enabled (tinygrad_sgd runs on the CPU "
                         "only)")
