"""``tinygrad_sgd.backends``: torch's switches for its accelerator libraries. This library
computes on the CPU with NumPy, so there is no accelerator to find: :mod:`.mps` says so, as
torch's CPU build does (``torch.backends.mps.is_available()`` is False)."""
from . import cuda, cudnn, mps  # noqa: E402,F401  (torch.backends.cudnn.benchmark = True)
