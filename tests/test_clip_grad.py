"""tinygrad_sgd.nn.utils against torch.nn.utils: clip_grad_norm_ (the returned total norm and
the clipped gradients, for norm types 1, 2, inf and others, float32 and float64, clipping and
not), error_if_nonfinite, clip_grad_value_, parameters_to_vector / vector_to_parameters."""
import math
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, nn, tensor
from tinygrad_sgd.nn import utils

SHAPES = [(3, 4), (5,), (2, 2, 2), (1,)]


def twins(dtype=np.float64, seed=0, scale=1.0, without_grad=(3,)):
    """Our parameters and torch's with the same gradients (none for the indices in
    ``without_grad``)."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p = nn.Parameter(rng.standard_normal(shape).astype(dtype))
        q = torch.tensor(p.numpy(), requires_grad=True)
        if i not in without_grad:
            g = (rng.standard_normal(shape) * scale).astype(dtype)
            p.grad, q.grad = tensor(g.copy()), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def assert_same_grads(ours, theirs, rtol):
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == p.dtype
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=0)


NORM_TYPES = [1, 2, 2.0, math.inf, float("inf"), 3.0, 0.5, 0, -math.inf]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = twins(dtype)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=rtol)
    assert_same_grads(ours, theirs, rtol)
    if max_norm == 1e6 or norm_type == -math.inf:
        return
    # after clipping, the gradients' norm is max_norm (the 1e-6 keeps it just below)
    again = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type).item()
    if norm_type != 0:
        assert again == pytest.approx(max_norm, rel=1e-4) and again <= max_norm * (1 + 1e-6)


def test_gradients_below_max_norm_are_almost_unchanged_and_the_norm_is_the_vector_norm():
    ours, _ = twins()
    before = [np.array(p.grad.numpy()) for p in ours[:3]]
    flat = np.concatenate([b.ravel() for b in before])
    total = utils.clip_grad_norm_(ours, max_norm=1e3)
    assert total.item() == pytest.approx(np.linalg.norm(flat), rel=1e-14)
    for p, b in zip(ours, before):
        np.testing.assert_array_equal(p.grad.numpy(), b)        # clip_coef clamped to 1.0
    total = utils.clip_grad_norm_(ours, max_norm=1e3, norm_type="inf")  # float() of a string
    assert total.item() == np.abs(flat).max()


def test_clip_grad_norm_scales_in_place_and_accepts_one_tensor_or_a_generator():
    ours, theirs = twins()
    memory = ours[0].grad.numpy()
    utils.clip_grad_norm_(ours[0], 0.5)
    torch.nn.utils.clip_grad_norm_(theirs[0], 0.5)
    assert np.shares_memory(ours[0].grad.numpy(), memory)
    assert_same_grads(ours[:1], theirs[:1], 1e-12)
    ours, theirs = twins(seed=1)
    total = utils.clip_grad_norm_((p for p in ours), 0.5)
    ttotal = torch.nn.utils.clip_grad_norm_((q for q in theirs), 0.5)
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-12)
    assert_same_grads(ours, theirs, 1e-12)


def test_clip_grad_norm_without_gradients_returns_zero_and_warns_on_an_empty_generator():
    p = nn.Parameter(np.ones(3))
    total = utils.clip_grad_norm_([p], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_([torch.ones(3, requires_grad=True)], 1.0)
    assert total.item() == ttotal.item() == 0.0 and total.dtype == np.float32
    assert p.grad is None
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient "
                                         "clipping will occur."):
        utils.clip_grad_norm_((q for q in []), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        utils.clip_grad_norm_([], 1.0)                          # a list: no warning


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=str)
@pytest.mark.parametrize("norm_type", [1, 2, math.inf], ids=str)
def test_error_if_nonfinite_raises_like_torch(bad, norm_type):
    ours, theirs = twins()
    for p, q in zip(ours, theirs):
        if p.grad is not None:
            g = np.array(p.grad.numpy())
            g.flat[1] = bad
            p.grad, q.grad = tensor(g), torch.tensor(g)
    if not (bad == -math.inf and norm_type == -math.inf):
        with pytest.raises(RuntimeError) as theirs_error:
            torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type, error_if_nonfinite=True)
        with pytest.raises(RuntimeError) as ours_error:
            utils.clip_grad_norm_(ours, 1.0, norm_type, error_if_nonfinite=True)
        assert str(ours_error.value) == str(theirs_error.value)
    # without the check both scale by the non-finite norm, the same way
    total = utils.clip_grad_norm_(ours, 1.0, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_array_equal(total.item(), ttotal.item())
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.0, 0.3, 1.0, 10.0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    ours, theirs = twins(dtype, scale=2.0)
    memory = ours[0].grad.numpy()
    assert utils.clip_grad_value_(ours, clip_value) is None
    assert torch.nn.utils.clip_grad_value_(theirs, clip_value) is None
    assert_same_grads(ours, theirs, rtol=0)
    assert np.shares_memory(ours[0].grad.numpy(), memory)      # in place
    assert all(np.abs(p.grad.numpy()).max() <= clip_value for p in ours if p.grad is not None)


def test_clip_grad_value_on_one_tensor_and_nan_passes_through_like_torch():
    p = nn.Parameter(np.zeros(4))
    q = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    g = np.array([-5.0, 0.2, math.nan, 7.0])
    p.grad, q.grad = tensor(g.copy()), torch.tensor(g.copy())
    utils.clip_grad_value_(p, 1.0)
    torch.nn.utils.clip_grad_value_(q, 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_a_gradient_with_a_graph_is_clipped_in_place_like_torch():
    """After ``backward(create_graph=True)`` the gradient is itself in a graph; clipping
    scales it in place under no_grad, as torch does."""
    x = nn.Parameter(np.array([3.0, -4.0]))
    tx = torch.tensor([3.0, -4.0], dtype=torch.float64, requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)                  # grad 3x², with a graph
    (tx * tx * tx).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None and tx.grad.grad_fn is not None
    total = utils.clip_grad_norm_([x], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_([tx], 1.0)
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-15) == math.hypot(27.0, 48.0)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.detach().numpy(), rtol=1e-15)
    utils.clip_grad_value_([x], 0.5)
    torch.nn.utils.clip_grad_value_([tx], 0.5)
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.detach().numpy())


# ============================================================================ vectors
def test_parameters_to_vector_and_back_match_torch():
    ours, theirs = twins(without_grad=())
    vec = utils.parameters_to_vector(ours)
    tvec = torch.nn.utils.parameters_to_vector(theirs)
    assert vec.shape == (sum(int(np.prod(s)) for s in SHAPES),)
    np.testing.assert_array_equal(vec.numpy(), tvec.detach().numpy())
    new = np.arange(vec.shape[0], dtype=np.float64)
    vec, tvec = tensor(new.copy()), torch.tensor(new.copy())
    utils.vector_to_parameters(vec, ours)
    torch.nn.utils.vector_to_parameters(tvec, theirs)
    for p, q in zip(ours, theirs):
        assert p.shape == tuple(q.shape)
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())
    # as in torch, the parameters now share vec's memory
    assert all(np.shares_memory(p.numpy(), vec.numpy()) for p in ours)


def test_parameters_to_vector_is_differentiable():
    ours, theirs = twins(without_grad=(0, 1, 2, 3))
    (utils.parameters_to_vector(ours) ** 2).sum().backward()
    (torch.nn.utils.parameters_to_vector(theirs) ** 2).sum().backward()
    assert_same_grads(ours, theirs, rtol=1e-15)


def test_vector_to_parameters_errors():
    p = nn.Parameter(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="expected Tensor, but got: numpy.ndarray"):
        utils.vector_to_parameters(np.zeros(6), [p])
    with pytest.raises(RuntimeError, match="vec has 4 entries, too few for the parameters"):
        utils.vector_to_parameters(tensor(np.zeros(4)), [p])


def test_the_functions_are_where_torch_has_them():
    assert tg.nn.utils.clip_grad_norm_ is utils.clip_grad_norm_
    assert "utils" in tg.nn.__all__
    import torch
    assert {"clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
            "vector_to_parameters"} <= set(utils.__all__)
    for name in utils.__all__:                 # every name offered is one torch has there
        assert hasattr(torch.nn.utils, name), name
