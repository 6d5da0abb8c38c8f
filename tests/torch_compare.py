"""Small pieces the torch-comparing table tests share: run one program on torch or on this
library (``outcome``), reach ``nn.functional`` of either (``F``), and read a tensor of either
as NumPy (``as_numpy``) or its dtype's short name (``dtype_name``)."""
import warnings

import torch


def outcome(fn, lib):
    """``fn(lib)``, or the exception it raised (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(lib)
        except Exception as e:          # noqa: BLE001  (the caller compares it with torch's)
            return e


def F(L):
    """``L.nn.functional`` for L = torch or tinygrad_sgd."""
    return L.nn.functional


def as_numpy(t):
    """A torch or tinygrad_sgd tensor's values as a NumPy array."""
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def dtype_name(dtype):
    """``float32`` for torch.float32 and tinygrad_sgd.float32 alike."""
    return str(dtype).split(".")[-1]
