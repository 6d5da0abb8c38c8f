"""Training utilities as torch has them — the defects the torch programs
finetune_and_freeze.py, data_plumbing.py and metrics_and_math.py found, each checked against
torch:

* ``torch.utils.checkpoint`` (checkpoint both ways, checkpoint_sequential): same outputs,
  gradients, grad_fn names, warnings, errors, the block run again in backward with the same
  random draws;
* ``torch.nn.utils.prune``: every method prunes the same entries as torch (same random
  draws), the same parameters / buffers / hooks, containers, global pruning, remove, errors;
* ``torch.pca_lowrank`` / ``torch.svd_lowrank``: torch's numbers for a seeded program (the same
  random test matrix and QR iterations), gradients;
* the torch module objects of ``as_torch``: ``hasattr(torch, name)`` is False (and
  ``try: import torch.xyz / except ImportError`` falls back) for a name the library lacks;
  ``torch.utils.data.dataloader`` / ``.dataset`` / ``.sampler`` import.
"""
import importlib
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd._torch_shim import torch_modules
from tinygrad_sgd.autograd.torch_names import torch_name
from tinygrad_sgd.nn.utils import prune as tg_prune
from tinygrad_sgd.utils import checkpoint as tg_checkpoint
import torch.nn.utils.prune as torch_prune
import torch.utils.checkpoint as torch_checkpoint
from test_optim_torch import torch_on_one_thread  # noqa: F401  (the fixture, used here too)


def lib(side):
    return torch if side == "torch" else tg


def arr(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(arr(a), arr(b), rtol=rtol, atol=atol)


# ========================================================================= checkpoint
def block(T):
    return T.nn.Sequential(T.nn.Linear(4, 8), T.nn.Tanh(), T.nn.Dropout(0.3),
                           T.nn.Linear(8, 3))


def checkpoint_run(side, reentrant, how):
    """Outputs, gradients, grad_fn name and the number of block calls of one checkpointed
    backward (``how``: what the program does with it)."""
    T = lib(side)
    ck = torch_checkpoint if side == "torch" else tg_checkpoint
    T.manual_seed(0)
    net = block(T)
    calls = []

    def fn(x, scale=1.0):
        calls.append(1)
        return net(x) * scale

    x = T.randn(5, 4, requires_grad=how != "no_input_grad")
    T.manual_seed(1)
    if how == "kwargs":
        y = ck.checkpoint(fn, x, use_reentrant=reentrant, scale=2.0)
    else:
        y = ck.checkpoint(fn, x, use_reentrant=reentrant)
    name = None if y.grad_fn is None else type(y.grad_fn).__name__ if side == "torch" \
        else torch_name(type(y.grad_fn), y.grad_fn)
    after_forward = T.rand(1)               # the random stream goes on from the forward
    if how == "grad":
        grads = list(T.autograd.grad((y ** 2).sum(), [x, net[0].weight]))
    elif y.requires_grad:
        (y ** 2).sum().backward()
        grads = [x.grad, net[0].weight.grad, net[3].bias.grad]
    else:
        grads = []
    return y, grads, name, len(calls), after_forward, T.rand(1)


CHECKPOINT_CASES = [(False, "backward"), (True, "backward"), (False, "grad"),
                    (False, "kwargs"), (False, "no_input_grad")]


@pytest.mark.parametrize("reentrant,how", CHECKPOINT_CASES)
def test_checkpoint_matches_torch(reentrant, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = checkpoint_run("ours", reentrant, how)
        theirs = checkpoint_run("torch", reentrant, how)
    close(ours[0], theirs[0])
    assert len(ours[1]) == len(theirs[1])
    for a, b in zip(ours[1], theirs[1]):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b)
    assert ours[2:4] == theirs[2:4]          # grad_fn name, calls of the block (2: recomputed)
    close(ours[4], theirs[4])
    close(ours[5], theirs[5])                # the recomputation leaves the random stream alone


def test_checkpoint_gives_the_plain_gradients_and_frees_what_the_block_saved():
    tg.manual_seed(0)
    net = block(tg)
    net.eval()
    x = tg.randn(5, 4, requires_grad=True)
    y = tg_checkpoint.checkpoint(net, x, use_reentrant=False)
    assert y.grad_fn._saved == () and "_out_array" not in y.grad_fn.__dict__  # nothing kept
    y.sum().backward()
    g_ck, gw_ck = x.grad.clone(), net[0].weight.grad.clone()
    x.grad = None
    net.zero_grad()
    net(x).sum().backward()
    close(g_ck, x.grad)
    close(gw_ck, net[0].weight.grad)
    # second order through a checkpointed block
    y = tg_checkpoint.checkpoint(net, x, use_reentrant=False)
    (gx,) = tg.autograd.grad((y ** 2).sum(), x, create_graph=True)
    gx.sum().backward()
    T = torch
    T.manual_seed(0)
    tnet = block(T)
    tnet.eval()
    tx = T.randn(5, 4, requires_grad=True)
    ty = torch_checkpoint.checkpoint(tnet, tx, use_reentrant=False)
    (tgx,) = T.autograd.grad((ty ** 2).sum(), tx, create_graph=True)
    tgx.sum().backward()
    close(gx, tgx)
    close(net[0].weight.grad - gw_ck, tnet[0].weight.grad)


@pytest.mark.parametrize("side", ["torch", "ours"])
def test_checkpoint_errors_and_warnings(side):
    T = lib(side)
    ck = torch_checkpoint if side == "torch" else tg_checkpoint
    net = T.nn.Linear(2, 2)
    x = T.randn(3, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        y = ck.checkpoint(net, x)
    assert (type(y.grad_fn).__name__ if side == "torch" else
            torch_name(type(y.grad_fn), y.grad_fn)) == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        ck.checkpoint(net, T.randn(3, 2), use_reentrant=True)
    with pytest.raises(ValueError, match="^Unexpected keyword arguments: a,b$"):
        ck.checkpoint(net, x, use_reentrant=True, a=1, b=2)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        ck.checkpoint(net, x, use_reentrant=True, debug=True)
    y = ck.checkpoint(net, x, use_reentrant=False)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        y.sum().backward()


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_checkpoint_sequential_matches_torch(segments):
    out = {}
    for side in ("torch", "ours"):
        T = lib(side)
        ck = torch_checkpoint if side == "torch" else tg_checkpoint
        T.manual_seed(3)
        net = T.nn.Sequential(T.nn.Linear(3, 5), T.nn.ReLU(), T.nn.Linear(5, 5), T.nn.Sigmoid())
        x = T.randn(2, 3, requires_grad=True)
        y = ck.checkpoint_sequential(net, segments, x, use_reentrant=False)
        y.sum().backward()
        out[side] = (y, x.grad, net[2].weight.grad)
    for a, b in zip(out["ours"], out["torch"]):
        close(a, b)


# ========================================================================= prune
def pruned(side, steps):
    """A small model pruned by ``steps`` [(module name, method name, args, kwargs)]."""
    T = lib(side)
    P = torch_prune if side == "torch" else tg_prune
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(6, 8), T.nn.ReLU(), T.nn.Linear(8, 3))
    for target, method, args, kwargs in steps:
        if method == "global":
            params = [(model[0], "weight"), (model[2], "weight")]
            P.global_unstructured(params, pruning_method=getattr(P, args[0]), **kwargs)
        elif method == "custom":
            mod = getattr(model, target)
            mask = (T.arange(mod.weight.numel()) % 3 != 0).reshape(mod.weight.shape)
            P.custom_from_mask(mod, "weight", mask)
        elif method == "remove":
            P.remove(getattr(model, target), *args)
        else:
            getattr(P, method)(getattr(model, target), *args, **kwargs)
    x = T.randn(4, 6)
    return model, model(x), P.is_pruned(model)


PRUNE_CASES = [
    [("0", "l1_unstructured", ("weight",), {"amount": 0.3})],
    [("0", "l1_unstructured", ("weight",), {"amount": 7})],
    [("0", "random_unstructured", ("weight",), {"amount": 0.5})],
    [("2", "random_unstructured", ("bias",), {"amount": 1})],
    [("0", "ln_structured", ("weight",), {"amount": 0.25, "n": 2, "dim": 0})],
    [("0", "ln_structured", ("weight",), {"amount": 2, "n": 1, "dim": 1})],
    [("0", "random_structured", ("weight",), {"amount": 0.5, "dim": 0})],
    [("2", "identity", ("weight",), {})],
    [("0", "custom", (), {})],
    [("0", "l1_unstructured", ("weight",), {"amount": 0.3}),
     ("0", "ln_structured", ("weight",), {"amount": 0.5, "n": 2, "dim": 0})],   # container
    [("0", "l1_unstructured", ("weight",), {"amount": 0.2}),
     ("0", "random_unstructured", ("weight",), {"amount": 0.2}),
     ("0", "l1_unstructured", ("weight",), {"amount": 5})],
    [("", "global", ("L1Unstructured",), {"amount": 0.4})],
    [("", "global", ("RandomUnstructured",), {"amount": 10})],
    [("0", "l1_unstructured", ("weight",), {"amount": 0.3}), ("0", "remove", ("weight",), {})],
    [("0", "ln_structured", ("weight",), {"amount": 0.5, "n": float("inf"), "dim": -1}),
     ("0", "remove", ("weight",), {})],
]


@pytest.mark.parametrize("steps", PRUNE_CASES)
def test_prune_matches_torch(steps):
    ours, y, ours_pruned = pruned("ours", steps)
    theirs, ty, torch_pruned = pruned("torch", steps)
    close(y, ty)
    assert ours_pruned == torch_pruned
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        close(a, b)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], n
    for mod, tmod in zip(ours[::2], theirs[::2]):          # the two Linear layers
        for name in ("weight", "bias"):
            close(getattr(mod, name), getattr(tmod, name))
            assert isinstance(getattr(mod, name), tg.nn.Parameter) == \
                isinstance(getattr(tmod, name), torch.nn.Parameter)


@pytest.mark.parametrize("side", ["torch", "ours"])
def test_pruned_weight_follows_orig_and_gradients_are_masked(side):
    T = lib(side)
    P = torch_prune if side == "torch" else tg_prune
    T.manual_seed(0)
    lin = T.nn.Linear(4, 3)
    P.l1_unstructured(lin, "weight", amount=0.5)
    with T.no_grad():
        lin.weight_orig.add_(1.0)            # the hook recomputes weight before forward
    lin(T.ones(2, 4)).sum().backward()
    mask = lin.weight_mask
    expected = (lin.weight_orig * mask).detach()
    assert np.allclose(arr(lin.weight), arr(expected))
    assert np.allclose(arr(lin.weight_orig.grad), arr(mask * 2.0))


PRUNE_ERRORS = [
    (lambda P, m: P.l1_unstructured(m, "weight", amount=1.5), ValueError,
     r"amount=1.5 should either be a float in the range \[0, 1\] or a non-negative integer"),
    (lambda P, m: P.l1_unstructured(m, "weight", amount=-1), ValueError,
     "amount=-1 should either be"),
    (lambda P, m: P.l1_unstructured(m, "weight", amount="a"), TypeError,
     "Invalid type for amount: a. Must be int or float."),
    (lambda P, m: P.l1_unstructured(m, "weight", amount=100), ValueError,
     "amount=100 should be smaller than the number of parameters to prune=12"),
    (lambda P, m: P.ln_structured(m, "bias", amount=1, n=2, dim=0), ValueError,
     "Structured pruning can only be applied to multidimensional tensors"),
    (lambda P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=2), IndexError,
     "Invalid index 2 for tensor of size"),
    (lambda P, m: P.remove(m, "weight"), ValueError,
     "Parameter 'weight' of module .* has to be pruned before pruning can be removed"),
    (lambda P, m: P.global_unstructured([(m, "weight")], P.LnStructured, amount=1, n=2),
     TypeError, 'Only "unstructured" PRUNING_TYPE supported'),
]


@pytest.mark.parametrize("i", range(len(PRUNE_ERRORS)))
def test_prune_errors_match_torch(i):
    call, error, message = PRUNE_ERRORS[i]
    names = {}
    for side in ("torch", "ours"):
        T = lib(side)
        P = torch_prune if side == "torch" else tg_prune
        m = T.nn.Linear(4, 3)
        with pytest.raises(error, match=message):
            call(P, m)
        names[side] = [n for n, _ in m.named_parameters()]     # put back (torch's order)
    assert names["ours"] == names["torch"]


# ========================================================================= lowrank
LOWRANK_CASES = [
    # (shape, function, kwargs)
    ((30, 5), "pca_lowrank", {}),
    ((30, 5), "pca_lowrank", {"q": 3}),
    ((30, 5), "pca_lowrank", {"q": 2, "center": False, "niter": 0}),
    ((4, 12), "pca_lowrank", {"q": 3, "niter": 4}),
    ((2, 20, 6), "pca_lowrank", {"q": 4}),
    ((20, 8), "svd_lowrank", {}),
    ((20, 8), "svd_lowrank", {"q": 3, "niter": 1}),
    ((5, 9), "svd_lowrank", {"q": 4}),
]


def _signs_fixed(U, V):
    """U and V with each pair of singular vectors signed so that V's largest entry is
    positive: LAPACKs (torch's MKL, NumPy's OpenBLAS) may flip a pair (see the report)."""
    big = np.take_along_axis(V, np.abs(V).argmax(-2)[..., None, :], -2)
    sign = np.where(big < 0, -1.0, 1.0).astype(V.dtype)
    return tg.tensor(U * sign), tg.tensor(V * sign)


@pytest.mark.parametrize("shape,fn,kwargs", LOWRANK_CASES)
def test_lowrank_matches_torch(shape, fn, kwargs):
    out = {}
    for side in ("torch", "ours"):
        T = lib(side)
        T.manual_seed(0)
        # well separated singular values (noise-level ones make signs a matter of rounding)
        scale = T.linspace(3.0, 0.5, shape[-1])
        A = (T.randn(*shape) * scale).requires_grad_()
        U, S, V = getattr(T, fn)(A, **kwargs)
        (U.abs().sum() + S.sum() + V.abs().sum()).backward()
        out[side] = (*_signs_fixed(arr(U), arr(V)), S, A.grad, T.rand(2))
    for a, b in zip(out["ours"], out["torch"]):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b, rtol=1e-4, atol=1e-5)
    assert out["ours"][2].dtype == tg.float32


@pytest.mark.parametrize("kwargs,message", [({"q": 7}, r"q\(=7\) must be non-negative integer "
                                                       r"and not greater than min\(m, n\)=5"),
                                            ({"niter": -1}, r"niter\(=-1\) must be non-negative")])
def test_pca_lowrank_errors_match_torch(kwargs, message):
    for T in (torch, tg):
        with pytest.raises(ValueError, match=message):
            T.pca_lowrank(T.randn(10, 5), **kwargs)


# ========================================================================= torch module objects
def test_hasattr_is_false_for_a_name_the_library_lacks():
    with torch_modules():
        t = importlib.import_module("torch")
        assert hasattr(t, "pca_lowrank") and hasattr(t.nn.utils, "prune")
        assert not hasattr(t, "compile_everything_xyz")
        assert getattr(t, "no_such_function_xyz", "default") == "default"
        with pytest.raises(NotImplementedError, match="^torch.no_such_xyz is not provided"):
            t.no_such_xyz
        try:
            import torch.fx  # noqa: F401
            imported = True
        except ImportError as e:
            imported = False
            assert isinstance(e, NotImplementedError)
            assert str(e) == "torch.fx is not provided by tinygrad_sgd"
        assert not imported


def test_torch_utils_data_submodules_import():
    with torch_modules():
        from torch.utils.data.dataloader import DataLoader, default_collate, get_worker_info
        from torch.utils.data.dataset import Subset, random_split
        from torch.utils.data.sampler import BatchSampler, SequentialSampler
        assert DataLoader is tg.utils.data.DataLoader
        assert default_collate([1, 2]).tolist() == [1, 2]
        assert get_worker_info() is None
        assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
        assert Subset is tg.utils.data.Subset and callable(random_split)
        t = importlib.import_module("torch.utils.data.sampler")
        assert not hasattr(t, "multinomial")     # the library's own imports stay hidden
