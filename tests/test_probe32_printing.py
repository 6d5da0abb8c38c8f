"""Printing probe 32: the printed forms that a sweep against torch 2.13 found different —
``format`` of a 0-d Parameter, the ``torch.return_types`` classes (their repr, ``n_fields``,
construction from one sequence), ``torch.Size`` holding NumPy integers or 0-d tensors, and the
words of the error a format spec on a Size or a device gives. Each case is compared with
torch's own output, printed in torch mode (``torch.`` names, as ``tinygrad-sgd run`` prints).
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _both(make):
    """``make(lib)`` with torch and with tinygrad_sgd: its value, or the error's type and text."""
    out = []
    for lib in (torch, tg):
        try:
            out.append(make(lib))
        except Exception as e:          # (the same words are promised for errors too)
            out.append((type(e).__name__, str(e)))
    return out


# a 0-d Parameter is not a plain Tensor: torch formats it as its repr, and refuses a spec
FORMAT_CASES = {
    "param_0d_empty_spec": lambda lib: f"{lib.nn.Parameter(lib.tensor(1.5))}",
    "param_0d_spec": lambda lib: f"{lib.nn.Parameter(lib.tensor(1.5)):.2f}",
    "param_0d_frozen": lambda lib: format(lib.nn.Parameter(lib.tensor(2.0), False), ""),
    "param_1d": lambda lib: f"{lib.nn.Parameter(lib.ones(2))}",
    "tensor_0d_spec": lambda lib: f"{lib.tensor(1.5, requires_grad=True) * 2:.3f}",
    "tensor_0d_empty_spec": lambda lib: f"{lib.tensor(3.25)}",
}


@pytest.mark.parametrize("name", FORMAT_CASES)
def test_format_of_parameters_and_0d_tensors_as_torch(name, torch_mode):
    expected, got = _both(FORMAT_CASES[name])
    assert got == expected


# the classes of the named tuples print as torch's, and take one sequence as torch's do
X = [[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]]
RETURN_TYPE_CASES = {
    "max_class": lambda lib: repr(type(lib.max(lib.tensor(X), 1))),
    "sort_class": lambda lib: str(type(lib.sort(lib.tensor(X)))),
    "linalg_qr_class": lambda lib: repr(type(lib.linalg.qr(lib.tensor(X).mT))),
    "histogram_class": lambda lib: repr(type(lib.histogram(lib.tensor(X[0]), bins=2))),
    "max_from_sequence": lambda lib: repr(lib.return_types.max((lib.tensor(1.0),
                                                                lib.tensor(0)))),
    "sort_from_list": lambda lib: repr(lib.return_types.sort([lib.tensor([1.0]),
                                                              lib.tensor([0])])),
    "n_fields": lambda lib: (lib.return_types.max.n_fields,
                             lib.return_types.max.n_sequence_fields,
                             lib.return_types.max.n_unnamed_fields),
}


@pytest.mark.parametrize("name", RETURN_TYPE_CASES)
def test_return_types_classes_as_torch(name, torch_mode):
    expected, got = _both(RETURN_TYPE_CASES[name])
    assert got == expected


# torch.Size keeps what it was given but prints ints; a spec is refused in torch's words
SIZE_DEVICE_CASES = {
    "size_numpy_int": lambda lib: repr(lib.Size([np.int64(3), 2])),
    "size_numpy_int32_str": lambda lib: str(lib.Size((np.int32(4), np.int64(1)))),
    "size_0d_tensor": lambda lib: repr(lib.Size([lib.tensor(3), 2])),
    "size_in_list": lambda lib: repr([lib.Size([np.int64(2)])]),
    "size_format_spec": lambda lib: f"{lib.Size([2]):>20}",
    "size_format_empty_spec": lambda lib: f"{lib.Size([np.int64(2), 3])}",
    "device_format_spec": lambda lib: f"{lib.device('cpu'):>10}",
    "device_format_empty_spec": lambda lib: f"{lib.device('cpu')}|{lib.ones(1).device}",
    "memory_formats": lambda lib: repr([lib.contiguous_format, lib.channels_last,
                                        lib.preserve_format]),
}


@pytest.mark.parametrize("name", SIZE_DEVICE_CASES)
def test_size_and_device_print_as_torch(name, torch_mode):
    expected, got = _both(SIZE_DEVICE_CASES[name])
    assert got == expected
