"""``tinygrad_sgd.cuda``: there is no GPU here, so a torch program's usual check
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU. As on torch's CPU
build, seeding the (absent) GPUs and emptying their cache do nothing, so the usual
``torch.cuda.manual_seed_all(seed)`` of a seeding function runs; waiting for a GPU fails."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize", "seed", "seed_all", "is_initialized", "get_arch_list",
           "is_bf16_supported", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "set_rng_state", "current_device", "get_device_name", "get_device_properties",
           "get_device_capability", "init", "mem_get_info", "ipc_collect", "current_stream",
           "get_rng_state"]


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


def seed() -> None:
    """Seed the current GPU's generator at random: there is none."""


def seed_all() -> None:
    """Seed every GPU's generator at random: there is none."""


def is_initialized() -> bool:
    return False


def get_arch_list() -> list:
    """The GPU architectures this build was compiled for: none."""
    return []


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def memory_allocated(device=None) -> int:
    """GPU memory held by tensors: none (torch's CPU build answers 0 too)."""
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def set_rng_state(new_state, device="cuda") -> None:
    """torch queues this for the GPU's first use, which never comes: nothing to do."""


def _no_gpu(*args, **kwargs):
    """Asking a GPU itself something: torch's CPU build fails, and so does this library."""
    from .device import not_compiled_with_cuda
    not_compiled_with_cuda()


# torch's CPU build raises "Torch not compiled with CUDA enabled" (an AssertionError) for each
(current_device, get_device_name, get_device_properties, get_device_capability, init,
 mem_get_info, ipc_collect, current_stream, get_rng_state) = (_no_gpu,) * 9


def __getattr__(name):
    # torch.cuda.amp (its deprecated GradScaler and autocast), imported on first use
    if name == "amp":
        from .amp import cuda_amp
        return cuda_amp
    raise AttributeError(f"module 'tinygrad_sgd.cuda' has no attribute {name!r}")
