"""Number arguments (torch's Scalar: add's and sub's ``alpha``, addcmul's and addcdiv's
``value``) read as torch's argument parser reads them: a number, or a 0-d tensor that does
not require grad (its ``item()``). A tensor that requires grad is torch's TypeError — its
gradient could not flow through a number, and the library took it silently, dropping the
gradient or recording it by accident — and so is a tensor of more dims, a Parameter or a
string, in the in-place methods too, each named as torch names it."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from torch_compare import outcome

LIBS = (torch, tg)

ARGUMENTS = {
    "float": lambda L: 0.5,
    "int": lambda L: 2,
    "numpy float": lambda L: np.float32(0.25),
    "0-d float tensor": lambda L: L.tensor(0.5),
    "0-d int tensor": lambda L: L.tensor(3),
    "0-d requiring grad": lambda L: L.tensor(0.5, requires_grad=True),
    "1-element tensor": lambda L: L.tensor([0.5]),
    "Parameter": lambda L: L.nn.Parameter(L.tensor(0.5)),
    "string": lambda L: "0.5",
    "None": lambda L: None,
}

CALLS = {
    "add": lambda L, a, b, n: L.add(a, b, alpha=n),
    "Tensor.add": lambda L, a, b, n: a.add(b, alpha=n),
    "add_": lambda L, a, b, n: a.clone().add_(b, alpha=n),
    "sub": lambda L, a, b, n: L.sub(a, b, alpha=n),
    "sub_": lambda L, a, b, n: a.clone().sub_(b, alpha=n),
    "subtract_": lambda L, a, b, n: a.clone().subtract_(b, alpha=n),
    "sub of a number": lambda L, a, b, n: a.sub(1, alpha=n),
    "addcmul": lambda L, a, b, n: L.addcmul(a, a, b, value=n),
    "addcmul_": lambda L, a, b, n: a.clone().addcmul_(a, b, value=n),
    "addcdiv": lambda L, a, b, n: L.addcdiv(a, a, b, value=n),
    "addcdiv_": lambda L, a, b, n: a.clone().addcdiv_(a, b, value=n),
}


def _run(L, call, argument):
    a = L.tensor([1.0, -2.0, 3.5])
    b = L.tensor([0.5, 4.0, -1.5])
    return outcome(lambda L: CALLS[call](L, a, b, ARGUMENTS[argument](L)), L)


@pytest.mark.parametrize("argument", list(ARGUMENTS))
@pytest.mark.parametrize("call", list(CALLS))
def test_number_arguments_as_torch(call, argument):
    theirs, ours = (_run(L, call, argument) for L in LIBS)
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (ours, theirs)
        if isinstance(theirs, TypeError) and "must be Number" in str(theirs):
            assert str(ours) == str(theirs)
        return
    assert not isinstance(ours, Exception), ours
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


def test_a_number_argument_requiring_grad_is_never_taken():
    """The library took ``alpha=lr`` with lr requiring grad and gave a result in the graph;
    torch refuses it (a learned learning rate must go in as a tensor operand)."""
    lr = tg.tensor(0.1, requires_grad=True)
    x = tg.ones(3)
    with pytest.raises(TypeError, match="argument 'alpha' must be Number, not Tensor"):
        x.add(x, alpha=lr)
    (x + x * lr).sum().backward()        # the way torch takes it
    assert lr.grad.item() == 3.0
