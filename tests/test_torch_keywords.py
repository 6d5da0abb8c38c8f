"""The keyword spellings torch accepts, against torch: a list given by its name to the methods
that take it as separate arguments (``x.view(size=...)``, ``x.permute(dims=...)``,
``torch.randn(size=...)``, ...), torch's other keyword names (``tensor_split(sections=...)``,
``zeros_like(input=...)``) and NumPy's ``axis``/``keepdims`` for ``dim``/``keepdim`` — which
torch's argument parser takes everywhere but in the functions it writes in Python."""
import inspect
import types

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.arguments import WITHOUT_NUMPY_NAMES

A = np.array([[1., -2., 3.], [-4., 5., -6.]], np.float32)

FORMS = [
    # a list by its name
    "X.flip(dims=(0,))", "L.flip(X, dims=(0,))", "L.flip(X, dims=[0, 1])", "X.flip(0, 1)",
    "X.permute(dims=(1, 0))", "L.permute(X, dims=(1, 0))", "X.permute([1, 0])",
    "X.reshape(shape=(6,))", "L.reshape(X, shape=(3, -1))", "X.view(size=(6,))", "X.view(-1)",
    "X.view(dtype=L.int32)", "X.view(L.int32)", "X.repeat(repeats=(2, 1))", "X.repeat(2, 1)",
    "X.expand(size=(2, 2, 3))", "X.expand(2, 2, 3)",
    "L.rand(size=(2,)).shape", "L.randn(size=(2, 1)).shape", "L.rand(2, 3).shape",
    "X.new_empty(size=(2,)).shape", "X.new_ones(size=(2,))", "X.new_zeros(size=(1, 2))",
    # torch's other keyword names
    "L.zeros_like(input=X)", "L.ones_like(input=X, dtype=L.int64)", "L.empty_like(input=X).shape",
    "L.full_like(input=X, fill_value=2.0)", "L.tensor_split(X, sections=2, dim=1)",
    "L.tensor_split(X, indices=[1], dim=1)", "X.tensor_split(2, 1)",
    "L.tensor_split(X, tensor_indices_or_sections=L.tensor([1, 2]), dim=1)",
    # NumPy's names
    "X.sum(axis=0)", "X.mean(axis=1, keepdims=True)", "L.sum(X, axis=1)", "X.max(axis=1).values",
    "L.cat([X, X], axis=1)", "L.stack([X, X], axis=1)", "L.softmax(X, axis=0)",
    "X.squeeze(axis=0)", "X.unsqueeze(axis=1)", "X.cumsum(axis=0)", "X.std(axis=0, keepdims=True)",
    "L.var_mean(X, axis=0)", "X.argmax(axis=1)", "X.size(axis=1)", "L.cosine_similarity(X, X, axis=0)",
    "X.gather(axis=1, index=L.zeros(2, 1, dtype=L.int64))", "L.logsumexp(X, axis=1, keepdims=True)",
    "X.amax(axis=(0, 1))", "X.sort(axis=0).values", "X.topk(2, axis=1).indices",
    "L.unflatten(X, axis=1, sizes=(3, 1))", "X.unflatten(axis=1, sizes=(3, 1))",
    # refused as torch refuses them (any exception on both sides)
    "X.sum(dim=0, axis=0)", "X.sum(0, keepdims=True, keepdim=True)", "X.split(1, axis=0)",
    "X.unique(axis=0)", "X.norm(dim=0, keepdims=True)", "L.nn.functional.softmax(X, axis=0)",
    "X.view(size=(6,), shape=(6,))", "X.reshape(6, shape=(6,))", "X.flip(0, dims=(0,))",
    "L.randn(2, size=(2,))", "L.tensor_split(X, 2, sections=2)", "L.zeros(2, size=(2,))",
    "L.ones(size=(2,), shape=(2,))", "X.view(dtype=(2, 3))",
]


def outcome(form, L):
    try:
        r = eval(form, {"L": L, "X": L.tensor(A)})
    except Exception as e:               # noqa: BLE001  (either side's error: compared below)
        return "error", type(e).__name__
    items = r if isinstance(r, tuple) and not hasattr(r, "numel") else (r,)
    out = []
    for v in items:
        if hasattr(v, "detach"):
            out.append((v.detach().numpy().tolist(), str(v.dtype).split(".")[-1]))
        else:
            out.append(tuple(v) if "Size" in type(v).__name__ else v)
    return "value", out


@pytest.mark.parametrize("form", FORMS)
def test_keyword_form_is_torchs(form):
    theirs, ours = outcome(form, torch), outcome(form, tg)
    assert ours[0] == theirs[0], (theirs, ours)
    if theirs[0] == "value":             # (the same values: to the last bits but for exp's)
        assert len(ours[1]) == len(theirs[1])
        for a, b in zip(ours[1], theirs[1]):
            if isinstance(b, tuple) and len(b) == 2 and isinstance(b[1], str):
                assert a[1] == b[1]
                np.testing.assert_allclose(np.array(a[0], float), np.array(b[0], float),
                                           rtol=1e-6)
            else:
                assert a == b
    else:
        assert ours[1] == theirs[1] == "TypeError" or theirs[1] != "TypeError"


def _with_dim(owner):
    for name in dir(owner):
        f = getattr(owner, name, None)
        if name.startswith("_") or not callable(f) or isinstance(f, type):
            continue
        try:
            parameters = inspect.signature(f).parameters
        except (TypeError, ValueError):
            continue
        if "dim" in parameters or "keepdim" in parameters:
            yield name


def test_numpy_names_everywhere_torch_takes_them():
    """Where ours have dim/keepdim, torch's counterpart takes axis/keepdims unless torch writes
    it in Python: those are exactly the ones left without the aliases here."""
    for kind, owner, theirs in (("method", tg.Tensor, torch.Tensor), ("function", tg, torch)):
        python_in_torch = set()
        for name in _with_dim(owner):
            in_python = isinstance(getattr(theirs, name, None), types.FunctionType)
            if in_python:
                python_in_torch.add(name)
            assert getattr(getattr(owner, name), "numpy_names", False) != in_python, name
        assert python_in_torch == WITHOUT_NUMPY_NAMES[kind]
