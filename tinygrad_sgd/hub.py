"""``tinygrad_sgd.hub``: of ``torch.hub`` only what programs import from it without downloading
anything — ``tqdm``, the progress bar torch.hub re-exports (``from torch.hub import tqdm``, as
pytorch/examples' vision_transformer does). Loading models from the hub needs the network and
torch's model zoo, and is not provided.

tqdm is imported when asked for (the library never imports it at import time); without the
tqdm package, torch.hub's own fallback: a bar counting with ``update`` and writing percent
(or bytes) to stderr."""
import sys

__all__ = []


class _FallbackTqdm:
    """torch.hub's stand-in when tqdm is not installed (not iterable, as torch's)."""

    def __init__(self, total=None, disable=False, unit=None, *args, **kwargs):
        self.total, self.disable, self.n = total, disable, 0

    def update(self, n):
        if self.disable:
            return
        self.n += n
        sys.stderr.write(f"\r{self.n:.1f} bytes" if self.total is None
                         else f"\r{100 * self.n / float(self.total):.1f}%")
        sys.stderr.flush()

    def set_description(self, *args, **kwargs):
        pass

    def write(s):
        sys.stderr.write(f"{s}\n")

    def close(self):
        self.disable = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if self.disable:
            return
        sys.stderr.write("\n")


def __getattr__(name):
    if name == "tqdm":
        try:
            from tqdm import tqdm
        except ImportError:
            return _FallbackTqdm
        return tqdm
    raise AttributeError(f"module 'tinygrad_sgd.hub' has no attribute {name!r}")
