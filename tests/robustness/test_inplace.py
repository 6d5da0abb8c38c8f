"""In-place safety: a value that backward still needs can't be changed behind its back.

Either the change is impossible (``.numpy()`` and ``np.asarray(t)`` of a tensor that requires
grad are read-only views — torch refuses them; without grad they are writable, as torch's;
in-place ops on non-leaf tensors, and on leaves that require grad outside ``no_grad``, are
refused), or it is detected when backward reaches the node: version counters, shared — as in
torch — by every Tensor that views the same memory (``detach()``, ``reshape``, indexing,
``state_dict()`` entries, Parameters built on one array).

Already tested elsewhere (not repeated): tests/test_autograd.py
(test_inplace_change_of_saved_tensor_is_detected, test_every_inplace_op_bumps_the_version,
test_inplace_on_unsaved_tensor_is_fine_and_on_graph_tensors_refused); tests/test_tensor.py
(test_numpy_shares_memory_writable_and_read_only_when_requiring_grad).

Not covered (as in torch): writing into ``tensor.data`` directly, or into the NumPy array a
Tensor was built from (``tensor(array)`` shares it; ``tg.tensor(array)`` copies).
"""
import gc
import importlib

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, nn, no_grad, optim, tensor
from tinygrad_sgd.nn import functional as F

STALE = "modified by an inplace operation"


def product():
    """x·w with both saved for backward; returns (x, w, loss)."""
    x = tensor(np.array([3.0, 4.0]), requires_grad=True)
    w = tensor(np.array([1.0, 2.0]), requires_grad=True)
    return x, w, (x * w).sum()


# ============================================================================ impossible
def test_numpy_views_are_read_only_and_np_array_copies():
    x, w, loss = product()
    for view in (np.asarray(w), w.numpy(), np.asarray(w, dtype=np.float64)):
        assert np.shares_memory(view, w.data) and not view.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 0.0
    copy = np.array(w)                          # np.array copies, as for any array
    assert not np.shares_memory(copy, w.data)
    copy[0] = 99.0
    converted = np.asarray(w, dtype=np.float32)  # a cast is a copy too
    converted[0] = 99.0
    loss.backward()
    assert x.grad.tolist() == [1.0, 2.0] and w.tolist() == [1.0, 2.0]


def test_in_place_ops_on_graph_tensors_join_the_graph_as_torch():
    x, w, loss = product()
    h = x * 2.0
    h.add_(1.0)                                  # h's grad_fn becomes the add, as torch
    assert h.grad_fn.name() == "AddBackward"
    h.mul_(w)                                    # w joins too: d(h·w)/dw uses the OLD h
    h.sum().backward()
    xt = torch.tensor([3.0, 4.0], requires_grad=True)
    wt = torch.tensor([1.0, 2.0], requires_grad=True)
    ht = xt * 2.0
    ht.add_(1.0)
    ht.mul_(wt)
    ht.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())
    np.testing.assert_allclose(h.numpy(), ht.detach().numpy())
    h[0] = 5.0                                   # item assignment joins the graph too
    ht[0] = 5.0
    assert h.grad_fn is not None and h.tolist() == ht.tolist()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.zero_()


def test_in_place_op_on_a_saved_output_is_caught_as_torch():
    w = Tensor([0.5, 1.0], requires_grad=True)
    z = w.exp()
    z.mul_(2.0)                                  # exp saved its output: now changed
    with pytest.raises(RuntimeError, match=STALE):
        z.sum().backward()


# ============================================================================ detected
def test_change_through_detach_is_detected():
    x, w, loss = product()
    w.detach().zero_()                          # shares w's memory and its version
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_change_through_a_view_taken_under_no_grad_is_detected():
    x, w, loss = product()
    with no_grad():
        w[:].mul_(0.0)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_change_of_the_base_of_a_saved_view_is_detected():
    base = tensor(np.array([[3.0, 4.0]]))       # a constant input
    w = tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (base.reshape(2) * w).sum()          # Mul saves the reshaped view
    base.add_(1.0)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_change_through_a_state_dict_entry_is_detected():
    lin = nn.Linear(2, 1)
    x = tensor(np.array([[3.0, 4.0]], np.float32), requires_grad=True)
    loss = lin(x).sum()
    lin.state_dict()["weight"].zero_()
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_optimizer_step_between_forward_and_backward_is_detected():
    # a classic bug: two losses from one forward, a step after the first backward
    tg.manual_seed(0)
    lin = nn.Linear(3, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    x = tensor(np.ones((4, 3), np.float32), requires_grad=True)
    out = lin(x)
    loss1, loss2 = out.sum(), (out * out).sum()
    loss1.backward(retain_graph=True)
    opt.step()                                  # changes lin.weight, which loss2 needs
    with pytest.raises(RuntimeError, match=STALE):
        loss2.backward()


def test_conv_weight_changed_in_place_is_detected():
    conv = nn.Conv2d(1, 2, 3)
    x = tensor(np.ones((1, 1, 5, 5), np.float32), requires_grad=True)
    loss = conv(x).sum()
    with no_grad():
        conv.weight.mul_(2.0)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_parameters_sharing_one_array_share_the_version():
    array = np.ones(3, np.float32)
    a, b = nn.Parameter(array), nn.Parameter(array)
    x = tensor(np.arange(3, dtype=np.float32), requires_grad=True)
    loss = (x * a).sum()
    with no_grad():
        b.add_(1.0)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_the_message_names_the_node_input_and_versions():
    x, w, loss = product()
    with no_grad():
        w.add_(1.0)
        w.add_(1.0)
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    assert str(info.value) == (
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: input 1 of MulBackward, of shape (2,), is at version 2; expected version 0 "
        "instead")


# ============================================================================ and not over-eager
def test_changes_before_forward_or_after_backward_are_fine():
    x, w, loss = product()
    with no_grad():
        w.add_(1.0)                             # before the forward that uses it
    loss = (x * w).sum()
    loss.backward()
    assert x.grad.tolist() == [2.0, 3.0]
    with no_grad():
        w.add_(1.0)                             # after backward: nothing needs it any more
    tg.manual_seed(0)
    model = tg.models.SimpleCNN()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    data = tg.randn(2, 1, 28, 28), tensor(np.array([3, 7]))
    for _ in range(3):                          # the usual loop never trips the check
        opt.zero_grad(set_to_none=False)
        F.nll_loss(model(data[0]), data[1]).backward()
        opt.step()


def test_a_failed_in_place_op_changes_nothing():
    x, w, loss = product()
    with no_grad():
        with pytest.raises(RuntimeError, match=r"add_: an operand of shape \(3,\) does not fit "
                                               r"into a tensor of shape \(2,\)"):
            w.add_(np.ones(3))
        with pytest.raises(RuntimeError, match=r"copy_: an operand of shape \(2, 2\) does not fit"):
            w.copy_(np.ones((2, 2)))
    assert w._version == 0 and w.tolist() == [1.0, 2.0]
    loss.backward()                             # still valid
    assert x.grad.tolist() == [1.0, 2.0]


def test_in_place_results_equal_torch_and_bump_once_per_op():
    ours = tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    theirs = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    for op in (lambda t: t.add_(1.5), lambda t: t.mul_(-2.0), lambda t: t.add_(t[0].clone()),
               lambda t: t.__setitem__((1, 0), 7.0), lambda t: t.zero_()):
        before = ours._version
        op(ours), op(theirs)
        assert ours._version == before + 1
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_version_counts_of_freed_memory_are_forgotten():
    counts = importlib.import_module("tinygrad_sgd.versions")._inplace_changes
    start = len(counts)
    for _ in range(200):
        t = tensor(np.zeros(10))
        t.add_(1.0)
        t.reshape(2, 5).mul_(2.0)
    del t
    gc.collect()
    assert len(counts) <= start + 1             # no entry per dead array
