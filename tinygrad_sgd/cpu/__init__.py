"""``torch.cpu``: the CPU as a device module, as ``torch.cuda`` is for CUDA (always available,
one device; nothing to synchronize), and its deprecated ``torch.cpu.amp.autocast``."""
from . import amp

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: every op here has finished when it returns."""
