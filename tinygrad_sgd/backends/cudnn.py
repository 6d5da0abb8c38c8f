"""``torch.backends.cudnn``: the switches of NVIDIA's cuDNN. There is no GPU here, so cuDNN is
never available (as in torch's CPU build); the switches a training script sets —
``torch.backends.cudnn.benchmark = True``, ``deterministic = True`` — are kept with torch's
defaults and change nothing (this library's convolutions are deterministic already)."""

__all__ = ["is_available", "version", "is_acceptable", "enabled", "benchmark",
           "benchmark_limit", "deterministic", "allow_tf32"]

enabled = True
benchmark = False
benchmark_limit = None        # (torch's CPU build: None, no cuDNN to ask)
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: never, here."""
    return False


def version():
    """cuDNN's version: None, as in torch's CPU build."""
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN could take ``tensor``: never (it is on the CPU)."""
    return False
