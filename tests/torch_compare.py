"""Small pieces the torch-comparing table tests share: run one program on torch or on this
library (``outcome``, or ``Outcome`` with gradients and warnings), compare values
(``assert_values``), reach ``nn.functional`` of either (``F``), and read a tensor of either
as NumPy (``as_numpy``) or its dtype's short name (``dtype_name``)."""
import warnings

import numpy as np
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


class Outcome:
    """What one library did with a call: its result, its gradients, its warnings — or its
    error."""

    def __init__(self, L, fn, arrays, grad):
        self.error, self.out, self.grads = None, None, None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ts = [L.tensor(a) for a in arrays]
            for i in grad:
                ts[i].requires_grad_(True)
            try:
                self.out = fn(L, *ts)
                if grad and self.out.requires_grad:
                    w = np.cos(np.arange(self.out.numel()) + 1.0).reshape(tuple(self.out.shape))
                    weighted = (self.out * L.tensor(w).to(self.out.dtype)).sum()
                    self.grads = L.autograd.grad(weighted, [ts[i] for i in grad],
                                                 allow_unused=True)
            except Exception as e:      # (the caller compares it with torch's)
                self.error = e
        self.warnings = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def assert_values(ours, theirs, rtol, atol, signed_zeros=False, what="value"):
    a, b = as_numpy(ours), as_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), \
        f"{what}: dtype {ours.dtype} != torch's {theirs.dtype}"
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
        return
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol,
                               atol=atol, equal_nan=True, err_msg=what)
    if signed_zeros:
        zero = b == 0
        np.testing.assert_array_equal(np.signbit(a[zero]), np.signbit(b[zero]),
                                      err_msg=f"{what}: signs of zeros")


def same_as_torch(fn, ours, message="equal"):
    """``fn(torch)`` and ``fn(ours)`` end alike: equal values, or errors of one class (ours
    may be a subclass, as ShapeError of RuntimeError) whose messages compare as ``message``
    says — "equal"; "prefix" (ours may explain more after torch's words); "suffix" (ours names
    the op before them); a number n (the first n characters); None (the class only)."""
    def run(L):
        try:
            return "value", fn(L)
        except Exception as e:          # noqa: BLE001  (the exception is what is compared)
            return "raises", type(e), str(e)
    expected, got = run(torch), run(ours)
    if expected[0] == "raises":
        assert got[0] == "raises", f"torch raises {expected[1].__name__}: {expected[2]}; " \
                                   f"ours gives {got[1]}"
        assert issubclass(got[1], expected[1]), (got[1], expected[1], got[2])
        theirs, mine = expected[2], got[2]
        if message == "equal":
            assert mine == theirs
        elif message == "prefix":
            assert mine.startswith(theirs), (mine, theirs)
        elif message == "suffix":
            assert mine.endswith(theirs), (mine, theirs)
        elif message is not None:
            assert mine[:message] == theirs[:message], (mine, theirs)
        return
    assert got[0] == "value", f"torch gives {expected[1]}; ours raises {got[1].__name__}: {got[2]}"
    assert got[1] == expected[1]
