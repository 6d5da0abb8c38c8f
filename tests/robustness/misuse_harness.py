"""The harness of the misuse catalogue (test_misuse_catalogue*.py): each case is ONE program,
written once against a torch-shaped namespace ``L``, run twice — on tinygrad_sgd and on torch.

A case expects either
- ``raises(exc, pattern)``: both libraries raise; torch's exception is an ``exc`` (its exact
  class or a subclass; ``exc`` may be a tuple where torch's class is an accident of its C++
  dispatch), ours is an instance of the class torch actually raised (ours may be
  ``ShapeError``, which is both a ValueError and a RuntimeError), and both messages
  match ``pattern`` — the essential words: the offending sizes, dims or values. Where the two
  wordings differ, ``ours=`` gives our pattern, which must name the same facts; or
- ``value()``: torch accepts the input, and so must we, with the same result (values, shapes,
  dtypes, None, numbers, key lists).

``L.t`` is the top-level module (``tinygrad_sgd`` / ``torch``), ``L.nn``, ``L.F`` (functional),
``L.optim``, ``L.autograd``, ``L.data`` (``utils.data``), ``L.save``/``L.load``; any other
attribute falls through to the top-level module (``L.ones``, ``L.float64``).
"""
import re
import warnings
from typing import Callable, NamedTuple, Optional

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.utils.data as tg_data
import torch.utils.data as torch_data


class Lib:
    def __init__(self, name, t, data):
        self.name, self.t = name, t
        self.nn, self.F, self.optim, self.autograd = t.nn, t.nn.functional, t.optim, t.autograd
        self.data = data

    def __getattr__(self, name):
        return getattr(self.t, name)

    def __repr__(self):
        return self.name


OURS = Lib("tinygrad_sgd", tg, tg_data)
TORCH = Lib("torch", torch, torch_data)


class Expect(NamedTuple):
    kind: str                       # "raises" or "value"
    exc: Optional[type] = None
    pattern: str = ""
    ours: Optional[str] = None      # our pattern when the wording differs from torch's


def raises(exc, pattern, ours=None):
    return Expect("raises", exc, pattern, ours)


def value():
    return Expect("value")


class Case(NamedTuple):
    name: str
    program: Callable               # program(L) -> result (or raises)
    expect: Expect
    xfail: Optional[str] = None     # the exact bug and its file, while it is not fixed


def outcome(program, lib):
    """("ok", result) or ("raised", exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # torch's deprecation/broadcast warnings
        try:
            return "ok", program(lib)
        except Exception as e:              # noqa: BLE001  (the misuse being catalogued)
            return "raised", e


def plain(x):
    """A result in comparable form: tensors as (dtype name, array), containers recursively."""
    if isinstance(x, (tg.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return [plain(v) for v in x]
    if isinstance(x, (np.generic, np.ndarray)):
        return np.asarray(x).tolist()
    return x


def assert_same(ours, theirs, where="result"):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours[0] == "tensor", f"{where}: {ours!r} vs a tensor"
        assert ours[1] == theirs[1], f"{where}: dtype {ours[1]}, torch {theirs[1]}"
        assert ours[2].shape == theirs[2].shape, f"{where}: shape {ours[2].shape}, " \
                                                 f"torch {theirs[2].shape}"
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-7, equal_nan=True,
                                   err_msg=where)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r}"
        for k, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{k}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r}"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, float) and np.isnan(theirs):
        assert isinstance(ours, float) and np.isnan(ours), f"{where}: {ours!r}, torch nan"
    else:
        assert type(ours) is type(theirs) and ours == theirs, \
            f"{where}: {ours!r}, torch {theirs!r}"


def check(case):
    """Run the case on torch (the oracle: it must behave as the table says) and on us."""
    theirs = outcome(case.program, TORCH)
    ours = outcome(case.program, OURS)
    e = case.expect
    if e.kind == "value":
        assert theirs[0] == "ok", f"the table says torch accepts this; torch raised {theirs[1]!r}"
        assert ours[0] == "ok", f"torch accepts this; we raised {ours[1]!r}"
        assert_same(plain(ours[1]), plain(theirs[1]))
        return
    assert theirs[0] == "raised", f"the table says torch raises; torch returned {theirs[1]!r}"
    assert isinstance(theirs[1], e.exc), f"torch raised {type(theirs[1]).__name__}: {theirs[1]}"
    assert re.search(e.pattern, str(theirs[1])), f"torch's message: {theirs[1]}"
    kind = type(theirs[1])                  # torch's own class: ours must be one too
    if kind.__module__ != "builtins":
        kind = e.exc
    assert ours[0] == "raised", f"torch raises {kind.__name__}; we returned {ours[1]!r}"
    assert isinstance(ours[1], kind), \
        f"we raised {type(ours[1]).__name__}: {ours[1]} (torch: {kind.__name__}: {theirs[1]})"
    assert re.search(e.ours or e.pattern, str(ours[1])), \
        f"our message: {ours[1]}\ntorch's: {theirs[1]}"


def parametrize(cases):
    """One parametrized test over the table; a case with ``xfail`` is a strict xfail."""
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return pytest.mark.parametrize("case", [
        pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)]
                     if c.xfail else []) for c in cases])


def catch(program):
    """For probing a new case by hand: both outcomes, side by side."""
    return {"torch": outcome(program, TORCH), "ours": outcome(program, OURS)}
