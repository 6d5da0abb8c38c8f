"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the
hook-based nn.utils.weight_norm / spectral_norm against torch: the same layer with the same
weights (and, for spectral norm, torch's power-iteration buffers copied in) gives torch's
forward values, gradients w.r.t. the originals, parameters after SGD steps and buffers; state
dicts have torch's keys and load both ways; remove_* leaves torch's tensor; user-defined
parametrizations (right_inverse, chaining, tuples, buffers), cached(), and the errors."""
# house: long file — one battery for the three modules (parametrize, parametrizations, the
# legacy hooks), which share the layer / norm tables and the torch-pairing helpers.
import copy
import pickle

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.nn.utils import parametrize as P

LIBS = (tg, torch)


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.array if isinstance(t, tg.Tensor) else t)


def _close(ours, theirs, dtype, float32_rtol=2e-5):
    scale = max(1.0, float(np.abs(_np(theirs)).max(initial=0.0)))  # float32: sums of ~50 terms
    rtol, atol = (1e-10, 1e-12 * scale) if dtype == "float64" else (float32_rtol, 2e-6 * scale)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=rtol, atol=atol)


def _to_torch(state):
    return {k: torch.from_numpy(np.array(v.array)) for k, v in state.items()}


LAYERS = {
    "linear": (lambda L: L.nn.Linear(3, 4), (5, 3)),
    "conv2d": (lambda L: L.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "convT2d": (lambda L: L.nn.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4)),
}

NORMS = {   # name -> (function of the library, keyword arguments)
    "wn": (lambda L: L.nn.utils.parametrizations.weight_norm, {}),
    "wn_dim1": (lambda L: L.nn.utils.parametrizations.weight_norm, {"dim": 1}),
    "wn_dimNone": (lambda L: L.nn.utils.parametrizations.weight_norm, {"dim": None}),
    "sn": (lambda L: L.nn.utils.parametrizations.spectral_norm, {}),
    "sn_dim1_3it": (lambda L: L.nn.utils.parametrizations.spectral_norm,
                    {"dim": 1, "n_power_iterations": 3}),
    "legacy_wn": (lambda L: L.nn.utils.weight_norm, {}),
    "legacy_wn_dimNone": (lambda L: L.nn.utils.weight_norm, {"dim": None}),
    "legacy_sn": (lambda L: L.nn.utils.spectral_norm, {}),
    "legacy_sn_2it": (lambda L: L.nn.utils.spectral_norm, {"n_power_iterations": 2}),
}

REMOVE = {
    "wn": lambda L, m: L.nn.utils.parametrize.remove_parametrizations(m, "weight"),
    "sn": lambda L, m: L.nn.utils.parametrize.remove_parametrizations(m, "weight"),
    "legacy_wn": lambda L, m: L.nn.utils.remove_weight_norm(m),
    "legacy_sn": lambda L, m: L.nn.utils.remove_spectral_norm(m),
}


def _pair(layer, norm, dtype):
    """(ours, torch's): the layer with torch's initial weights, the norm applied, and then
    torch's whole state (power-iteration buffers included) loaded into ours."""
    make, shape = LAYERS[layer]
    torch.manual_seed(0)
    theirs = make(torch).to(getattr(torch, dtype))
    ours = make(tg).to(getattr(tg, dtype))
    ours.load_state_dict(theirs.state_dict())
    fn, kwargs = NORMS[norm]
    with pytest.warns(FutureWarning) if norm.startswith("legacy_wn") else _nothing():
        fn(tg)(ours, **kwargs)
    with pytest.warns(FutureWarning) if norm.startswith("legacy_wn") else _nothing():
        fn(torch)(theirs, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    return ours, theirs, x


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


CASES = [(layer, norm) for layer in ("linear", "conv2d") for norm in NORMS] + \
    [("convT2d", "sn"), ("convT2d", "legacy_sn")]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer,norm", CASES)
def test_training_steps_match_torch(layer, norm, dtype):
    ours, theirs, x = _pair(layer, norm, dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    opt_o = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        outs = []
        for m, opt, X in ((ours, opt_o, tg.tensor(x)), (theirs, opt_t, torch.tensor(x))):
            opt.zero_grad()
            outs.append(m(X))
            (outs[-1].sin() * outs[-1]).sum().backward()
        _close(*outs, dtype)
        grads_t = {k: p.grad for k, p in theirs.named_parameters()}
        grads_o = {k: p.grad for k, p in ours.named_parameters()}
        assert list(grads_o) == list(grads_t)
        for k in grads_t:
            _close(grads_o[k], grads_t[k], dtype)
        opt_o.step()
        opt_t.step()
        for (k, a), (k2, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert k == k2
            _close(a, b, dtype)
    ours.eval()
    theirs.eval()
    before = {k: _np(v).copy() for k, v in ours.state_dict().items()}
    _close(ours(tg.tensor(x)), theirs(torch.tensor(x)), dtype)
    _close(ours.weight, theirs.weight, dtype)
    for k, v in ours.state_dict().items():               # eval: the buffers stay
        np.testing.assert_array_equal(_np(v), before[k])


@pytest.mark.parametrize("layer,norm", [("linear", n) for n in NORMS] + [("conv2d", "sn")])
def test_state_dict_loads_into_torch_and_back(layer, norm):
    ours, theirs, x = _pair(layer, norm, "float64")
    opt = tg.optim.SGD(ours.parameters(), lr=0.5)
    ours(tg.tensor(x)).sum().backward()
    opt.step()
    make = LAYERS[layer][0]
    fresh = make(torch).double()
    with pytest.warns(FutureWarning) if norm.startswith("legacy_wn") else _nothing():
        NORMS[norm][0](torch)(fresh, **NORMS[norm][1])
    fresh.load_state_dict(_to_torch(ours.state_dict()))
    ours.eval()
    fresh.eval()
    _close(ours(tg.tensor(x)), fresh(torch.tensor(x)), "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer,norm", [(layer, n) for layer in ("linear", "conv2d")
                                        for n in ("wn", "sn", "legacy_wn", "legacy_sn")])
def test_remove_leaves_torchs_weight(layer, norm, dtype):
    ours, theirs, x = _pair(layer, norm, dtype)
    for m, X in ((ours, tg.tensor(x)), (theirs, torch.tensor(x))):
        m(X)                                # (a training step of the power iteration)
    kept = ours.parametrizations.weight.original if norm == "sn" else None
    REMOVE[norm](tg, ours)
    REMOVE[norm](torch, theirs)
    assert type(ours) is type(LAYERS[layer][0](tg))
    assert isinstance(ours.weight, tg.nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _close(ours.weight, theirs.weight, dtype)
    if kept is not None:                    # the same Parameter object, now the weight
        assert ours.weight is kept
    _close(ours(tg.tensor(x)), theirs(torch.tensor(x)), dtype)
    assert not P.is_parametrized(ours)
    assert "_forward_pre_hooks" not in ours.__dict__ or not ours._forward_pre_hooks


def test_leave_parametrized_false():
    ours, theirs, _ = _pair("linear", "sn", "float64")
    original = _np(ours.parametrizations.weight.original).copy()
    P.remove_parametrizations(ours, "weight", leave_parametrized=False)
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight",
                                                       leave_parametrized=False)
    np.testing.assert_array_equal(_np(ours.weight), original)
    _close(ours.weight, theirs.weight, "float64")
    for L in LIBS:     # several originals (g, v) cannot go back to "the" original
        m = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(2, 2))
        with pytest.raises(ValueError, match="sequence of tensors"):
            L.nn.utils.parametrize.remove_parametrizations(m, "weight", False)


def test_old_weight_norm_checkpoint_loads_into_the_parametrization():
    for L in LIBS:
        old = L.nn.Linear(3, 2)
        with pytest.warns(FutureWarning):
            L.nn.utils.weight_norm(old)
        with L.no_grad():
            old.weight_g.mul_(2.0)
        old(L.zeros(1, 3))                          # the pre-hook recomputes old.weight
        new = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 2))
        new.load_state_dict(old.state_dict())
        assert list(new.state_dict()) == ["bias", "parametrizations.weight.original0",
                                          "parametrizations.weight.original1"]
        np.testing.assert_allclose(_np(new.weight), _np(old.weight), rtol=1e-6)


def test_spectral_norm_version0_checkpoint_as_torch():
    """A checkpoint from before spectral_norm kept ``weight_v``: v is solved from u."""
    torch.manual_seed(0)
    src = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3).double())
    src(torch.randn(2, 4, dtype=torch.float64))
    state = {k: v.clone() for k, v in src.state_dict().items() if k != "weight_v"}
    state["weight"] = src.weight.detach().clone()
    loaded = []
    for L in LIBS:
        m = L.nn.utils.spectral_norm(L.nn.Linear(4, 3).double())
        m.load_state_dict(dict(state))
        loaded.append(m)
    _close(loaded[0].weight_v, loaded[1].weight_v, "float64")
    _close(loaded[0].weight_u, loaded[1].weight_u, "float64")


@pytest.mark.parametrize("api", ["parametrizations", "legacy"])
@pytest.mark.parametrize("layer", list(LAYERS))
def test_spectral_norm_seeded_buffers_as_torch(layer, api):
    """The library's generator is torch's: the same seed gives the same u, v."""
    states = []
    for L in LIBS:
        L.manual_seed(3)
        m = LAYERS[layer][0](L).double()
        fn = L.nn.utils.parametrizations if api == "parametrizations" else L.nn.utils
        fn.spectral_norm(m)
        states.append(m.state_dict())
    assert list(states[0]) == list(states[1])
    for k in states[1]:
        _close(states[0][k], states[1][k], "float64")


# ----------------------------------------------------------------- user parametrizations
def _user_modules(L):
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    class Scale(L.nn.Module):
        def forward(self, X):
            return X * 3.0

        def right_inverse(self, A):
            return A / 3.0

    class Split(L.nn.Module):              # weight = a + b, from two originals
        def forward(self, a, b):
            return a + 2.0 * b

        def right_inverse(self, A):
            return A * 0.5, A * 0.25

    class NoInverse(L.nn.Module):
        def forward(self, X):
            return X.tanh()

    return Symmetric, Scale, Split, NoInverse


CHAINS = {"symmetric": ("Symmetric",), "symmetric_scale": ("Symmetric", "Scale"),
          "split_symmetric": ("Split", "Symmetric"), "noinverse": ("NoInverse",)}


@pytest.mark.parametrize("chain", list(CHAINS))
def test_user_parametrization_as_torch(chain):
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((4, 4)), rng.standard_normal(4)
    A = rng.standard_normal((4, 4))
    A = A + A.T
    x = rng.standard_normal((3, 4))
    res = []
    for L in LIBS:
        classes = dict(zip(("Symmetric", "Scale", "Split", "NoInverse"), _user_modules(L)))
        m = L.nn.Linear(4, 4).double()
        m.load_state_dict({"weight": torch.tensor(w0), "bias": torch.tensor(b0)})
        for name in CHAINS[chain]:
            L.nn.utils.parametrize.register_parametrization(m, "weight", classes[name]())
        got = {"keys": list(m.state_dict()), "w": _np(m.weight).copy(),
               "repr": repr(m).replace("tinygrad_sgd.", "torch.")}
        out = m(L.tensor(x))
        (out * out).sum().backward()
        got["grads"] = {k: _np(p.grad).copy() for k, p in m.named_parameters()}
        if chain != "noinverse":
            m.weight = L.tensor(A)
            got["assigned"] = _np(m.weight).copy()
            got["originals"] = {k: _np(v).copy() for k, v in m.state_dict().items()}
        res.append(got)
    ours, theirs = res
    assert ours["keys"] == theirs["keys"]
    assert ours["repr"] == theirs["repr"]
    for key in ("w", "assigned"):
        if key in theirs:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12)
    for key in ("grads", "originals"):
        assert list(ours.get(key, {})) == list(theirs.get(key, {}))
        for k in theirs.get(key, {}):
            np.testing.assert_allclose(ours[key][k], theirs[key][k], rtol=1e-12)
    if chain.startswith("symmetric"):
        np.testing.assert_allclose(ours["w"], ours["w"].T)


def test_parametrizing_a_buffer_and_the_class_swap():
    for L in LIBS:
        m = L.nn.BatchNorm1d(3)
        cls = type(m)
        Sym, Scale, _, _ = _user_modules(L)
        L.nn.utils.parametrize.register_parametrization(m, "running_var", Scale())
        assert type(m).__name__ == "ParametrizedBatchNorm1d" and type(m) is not cls
        assert L.nn.utils.parametrize.type_before_parametrizations(m) is cls
        assert L.nn.utils.parametrize.is_parametrized(m)
        assert L.nn.utils.parametrize.is_parametrized(m, "running_var")
        assert not L.nn.utils.parametrize.is_parametrized(m, "weight")
        assert "parametrizations.running_var.original" in m.state_dict()
        np.testing.assert_allclose(_np(m.running_var), 1.0)           # kept by right_inverse
        np.testing.assert_allclose(_np(m.parametrizations.running_var.original), 1 / 3)
        L.nn.utils.parametrize.remove_parametrizations(m, "running_var")
        assert type(m) is cls and "running_var" in dict(m.named_buffers())
        assert L.nn.utils.parametrize.type_before_parametrizations(m) is cls


def test_cached_computes_once():
    for L in LIBS:
        calls = []

        class Count(L.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 2.0

        m = L.nn.utils.parametrize.register_parametrization(L.nn.Linear(2, 2), "weight",
                                                            Count())
        calls.clear()
        m.weight
        m.weight
        assert len(calls) == 2
        with L.nn.utils.parametrize.cached():
            w1 = m.weight
            with L.nn.utils.parametrize.cached():
                assert m.weight is w1
            assert m.weight is w1
        assert len(calls) == 3
        assert m.weight is not w1 and len(calls) == 4


def test_deepcopy_pickle_and_transfer():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    for L in LIBS:
        m = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 2))
        twin = copy.deepcopy(m)
        with L.no_grad():
            twin.parametrizations.weight.original0.mul_(2.0)
        np.testing.assert_allclose(_np(twin.weight), 2 * _np(m.weight), rtol=1e-6)
        with pytest.raises(RuntimeError, match="only supported through state_dict"):
            pickle.dumps(m)
        to = L.nn.Linear(3, 2)
        L.nn.utils.parametrize.transfer_parametrizations_and_params(m, to)
        assert to.parametrizations.weight.original1 is m.parametrizations.weight.original1
        np.testing.assert_allclose(_np(to(L.tensor(x))) - _np(to.bias),
                                   _np(m(L.tensor(x))) - _np(m.bias), rtol=1e-6)


def test_weight_norm_second_order():
    """Against torch's weight norm written out (v · g/‖v‖): torch 2.13's fused
    ``_weight_norm`` has a wrong double backward on the CPU (its gradgradcheck fails)."""
    ours, theirs, x = _pair("linear", "wn", "float64")
    g, v = (theirs.parametrizations.weight.original0, theirs.parametrizations.weight.original1)
    res = []
    for m, X, grad, forward in (
            (ours, tg.tensor(x), tg.autograd.grad, ours),
            (theirs, torch.tensor(x), torch.autograd.grad, lambda X: torch.nn.functional.linear(
                X, v * (g / v.norm(dim=1, keepdim=True)), theirs.bias))):
        g_, v_ = m.parametrizations.weight.original0, m.parametrizations.weight.original1
        out = (forward(X) ** 2).sum()
        dg, dv = grad(out, (g_, v_), create_graph=True)
        res.append([_np(t) for t in grad((dg ** 2).sum() + (dv ** 3).sum(), (g_, v_))])
    for a, b in zip(*res):
        _close(a, b, "float64")


# ----------------------------------------------------------------- orthogonal
ORTHO = [((4, 4), None, True), ((3, 5), None, True), ((5, 3), None, True),
         ((4, 4), "cayley", True), ((5, 3), "cayley", True), ((3, 5), "matrix_exp", True),
         ((5, 3), "householder", False), ((3, 5), "householder", False),
         ((4, 4), "householder", False), ((3, 2, 3, 3), None, True),
         ((3, 2, 2, 2), "cayley", True), ((2, 2, 3, 3), "householder", False)]


def _orth_layer(L, shape):
    if len(shape) == 2:
        return L.nn.Linear(shape[1], shape[0]), (4, shape[1])
    return L.nn.Conv2d(shape[1], shape[0], shape[2]), (2, shape[1], 4, 4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,omap,triv", ORTHO)
def test_orthogonal_as_torch(shape, omap, triv, dtype):
    torch.manual_seed(0)
    theirs, xshape = _orth_layer(torch, shape)
    ours, _ = _orth_layer(tg, shape)
    theirs, ours = theirs.to(getattr(torch, dtype)), ours.to(getattr(tg, dtype))
    ours.load_state_dict(theirs.state_dict())
    for L, m in ((tg, ours), (torch, theirs)):
        L.manual_seed(5)                     # (a wide/tall base draws random columns)
        L.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=triv)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        _close(ours.state_dict()[k], v, dtype)
    W = _np(ours.weight)
    W = W if shape[-2] >= shape[-1] else np.swapaxes(W, -1, -2)
    k = W.shape[-1]
    np.testing.assert_allclose(np.swapaxes(W, -1, -2) @ W,
                               np.broadcast_to(np.eye(k), W.shape[:-2] + (k, k)),
                               atol=1e-5 if dtype == "float32" else 1e-12)
    x = np.random.default_rng(1).standard_normal(xshape).astype(dtype)
    opt_o = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        outs = []
        for m, opt, X in ((ours, opt_o, tg.tensor(x)), (theirs, opt_t, torch.tensor(x))):
            opt.zero_grad()
            outs.append(m(X))
            (outs[-1].sin() * outs[-1]).sum().backward()
            opt.step()
        _close(*outs, dtype)
        for (k, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
            _close(a.grad, b.grad, dtype)
            _close(a, b, dtype)
    # (after two momentum steps through matrix_exp / cayley / reflectors, float32 roundings
    # of the two libraries' sums have drifted a few 1e-5 apart: NumPy's kernels, one element)
    _close(ours.weight, theirs.weight, dtype, float32_rtol=1e-4)
    rng = np.random.default_rng(2)          # assigning an orthogonal matrix
    Q = np.linalg.qr(rng.standard_normal(shape[:-2] + (max(shape[-2:]),) * 2))[0]
    Q = Q[..., :shape[-2], :shape[-1]].astype(dtype)
    ours.weight = tg.tensor(Q)
    theirs.weight = torch.tensor(Q)
    _close(ours.weight, theirs.weight, dtype)
    _close(ours.weight, Q, dtype)


def test_orthogonal_errors_as_torch():
    for L in LIBS:
        orth = L.nn.utils.parametrizations.orthogonal
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            orth(L.nn.Linear(3, 3), "bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            orth(L.nn.Linear(3, 3), orthogonal_map="qr")
        with pytest.raises(ValueError, match="has no parameter or buffer"):
            orth(L.nn.Linear(3, 3), "w")
        m = orth(L.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign"):
            m.weight = L.eye(3)
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
            orth(L.nn.Linear(3, 3)).parametrizations.weight[0].right_inverse(L.eye(2))


# ----------------------------------------------------------------- errors
def _bad(L):
    class Shrink(L.nn.Module):
        def forward(self, X):
            return X[:1]

    class ToInt(L.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X.long()

    class BadInverse(L.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X[:1]

    return Shrink, ToInt, BadInverse


def _register(L, m, p, **kw):
    return L.nn.utils.parametrize.register_parametrization(m, "weight", p, **kw)


def _chained_bad_inverse(L):
    m = L.nn.Linear(2, 2)
    _register(L, m, _user_modules(L)[1]())
    _register(L, m, _bad(L)[2]())


def _assign_without_inverse(L):
    m = _register(L, L.nn.Linear(2, 2), _user_modules(L)[3]())
    m.weight = L.zeros(2, 2)


def _twice(fn):
    def go(L):
        m = L.nn.Linear(2, 2)
        fn(L)(m)
        fn(L)(m)
    return go


ERRORS = [
    ("missing name", lambda L: L.nn.utils.parametrize.register_parametrization(
        L.nn.Linear(2, 2), "nope", _user_modules(L)[1]()), ValueError,
     "does not have a parameter, a buffer"),
    ("shape changed", lambda L: _register(L, L.nn.Linear(2, 2), _bad(L)[0]()), ValueError,
     "may not change the shape"),
    ("dtype changed", lambda L: _register(L, L.nn.Linear(2, 2), _bad(L)[1]()), ValueError,
     "may not change the dtype"),
    ("chained inverse shape", _chained_bad_inverse, ValueError, "must have the same shape"),
    ("remove not parametrized", lambda L: L.nn.utils.parametrize.remove_parametrizations(
        L.nn.Linear(2, 2), "weight"), ValueError, "does not have a parametrization on"),
    ("assign without inverse", _assign_without_inverse, RuntimeError,
     "does not implement right_inverse"),
    ("sn no name", lambda L: L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(2, 2), "w"),
     ValueError, "has no parameter or buffer"),
    ("sn dim", lambda L: L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(2, 2), dim=2),
     IndexError, "Dimension out of range"),
    ("sn iterations", lambda L: L.nn.utils.parametrizations.spectral_norm(
        L.nn.Linear(2, 2), n_power_iterations=0), ValueError, "to be positive"),
    ("legacy sn iterations", lambda L: L.nn.utils.spectral_norm(
        L.nn.Linear(2, 2), n_power_iterations=0), ValueError, "to be positive"),
    ("legacy sn twice", _twice(lambda L: L.nn.utils.spectral_norm), RuntimeError,
     "Cannot register two spectral_norm hooks"),
    ("legacy wn twice", _twice(lambda L: L.nn.utils.weight_norm), RuntimeError,
     "Cannot register two weight_norm hooks"),
    ("parameter onto a parametrized name", lambda L: setattr(
        L.nn.utils.parametrizations.weight_norm(L.nn.Linear(2, 2)), "weight",
        L.nn.Parameter(L.zeros(2, 2))), KeyError, "attribute 'weight' already exists"),
    ("legacy wn lazy", lambda L: L.nn.utils.weight_norm(L.nn.LazyLinear(2)), ValueError,
     "can't have uninitialized parameters"),
    ("legacy sn lazy", lambda L: L.nn.utils.spectral_norm(L.nn.LazyLinear(2)), ValueError,
     "can't have uninitialized parameters"),
    ("legacy sn none", lambda L: L.nn.utils.spectral_norm(L.nn.Linear(2, 2, bias=False),
                                                          "bias"),
     ValueError, "cannot be applied as parameter `bias` is None"),
    ("remove legacy wn", lambda L: L.nn.utils.remove_weight_norm(L.nn.Linear(2, 2)),
     ValueError, "weight_norm of 'weight' not found"),
    ("remove legacy sn", lambda L: L.nn.utils.remove_spectral_norm(L.nn.Linear(2, 2)),
     ValueError, "spectral_norm of 'weight' not found"),
]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("what,action,error,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(what, action, error, message):
    for L in LIBS:
        with pytest.raises(error, match=message):
            action(L)


def test_unsafe_skips_the_checks():
    for L in LIBS:
        m = _register(L, L.nn.Linear(3, 2), _bad(L)[0](), unsafe=True)
        assert tuple(m.weight.shape) == (1, 3)
