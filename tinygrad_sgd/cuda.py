"""``tinygrad_sgd.cuda``: there is no GPU here, so a torch program's usual check
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU. As on torch's CPU
build, seeding the (absent) GPUs and emptying their cache do nothing, so the usual
``torch.cuda.manual_seed_all(seed)`` of a seeding function runs; waiting for a GPU fails."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    """Seed the current GPU's generator: there is none, nothing to do."""
    int(seed)


def manual_seed_all(seed) -> None:
    """Seed every GPU's generator: there is none, nothing to do."""
    int(seed)


def empty_cache() -> None:
    """Release the GPU memory cache: there is none."""


def synchronize(device=None) -> None:
    """Wait for a GPU: torch's CPU build fails here, and so does this library."""
    from .device import not_compiled_with_cuda
    not_compiled_with_cuda()


def __getattr__(name):
    # torch.cuda.amp (its deprecated GradScaler and autocast), imported on first use
    if name == "amp":
        from .amp import cuda_amp
        return cuda_amp
    raise AttributeError(f"module 'tinygrad_sgd.cuda' has no attribute {name!r}")
