"""Module API pieces and optimizer details against torch 2.13, table by table:
``Module.type / share_memory / to_empty / register_module / get_*``, ``nn.Buffer``, the
``nn.modules`` paths, the containers' list and dict methods (ModuleList.pop, Sequential's
``+``/``*``, ParameterDict's dict methods), ``SyncBatchNorm`` on one process (and
``convert_sync_batchnorm``), ``Tensor.numpy(force=...)``, ``SparseAdam`` with dense gradients,
and optimizers driven by a Tensor ``lr`` for 20 steps.

Each row is one program run on torch and on tinygrad_sgd; what comes out — values, dtypes,
state-dict keys, reprs, which objects are the same, or the class of the error — must agree.
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

from helpers import ulps


def summary(value):
    """What a program returned, as plain comparable data (Tensors: dtype name and values)."""
    if isinstance(value, (torch.Tensor, tg.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], np.array(value.detach().numpy()))
    if isinstance(value, np.ndarray):
        return ("tensor", value.dtype.name, value)
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "tensor":
        return value
    if isinstance(value, dict):
        return {k: summary(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [summary(v) for v in value]
    return value


def outcome(L, program):
    """``("ok", summary)`` or ``("error", class name)``."""
    try:
        return "ok", summary(program(L))
    except Exception as e:      # (compared with torch's below)
        return "error", type(e).__name__


def assert_same(ours, theirs, where="result", rtol=0):
    if isinstance(theirs, tuple) and len(theirs) == 3 and theirs[0] == "tensor":
        assert ours[:2] == theirs[:2], f"{where}: {ours[:2]} != torch's {theirs[:2]}"
        if rtol:
            np.testing.assert_allclose(ours[2], theirs[2], rtol=rtol, atol=rtol, err_msg=where)
        else:
            np.testing.assert_array_equal(ours[2], theirs[2], err_msg=where)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]", rtol)
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} items != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]", rtol)
    else:
        assert ours == theirs, f"{where}: {ours!r} != torch's {theirs!r}"


def check(program, rtol=0):
    """Values bit for bit (``rtol``: within it, for batch norm's float32 arithmetic)."""
    theirs, ours = outcome(torch, program), outcome(tg, program)
    assert ours[0] == theirs[0], f"torch: {theirs}, ours: {ours}"
    assert_same(ours[1], theirs[1], rtol=rtol)


def fill(L, module):
    """Deterministic values in every parameter and float buffer (the same in both)."""
    with L.no_grad():
        tensors = [(t, 0.0) for t in module.parameters()] + [(t, 1.5) for t in module.buffers()]
        for i, (t, shift) in enumerate(tensors):      # (buffers positive: running_var)
            if t.dtype in (L.float32, L.float64):
                n = int(np.prod(tuple(t.shape)))
                t.copy_(L.tensor(shift + np.sin(np.arange(n) + i).reshape(tuple(t.shape))))
    return module


def state(module):
    return {k: v for k, v in module.state_dict().items()}


def _bn(L):
    return fill(L, L.nn.BatchNorm1d(3))


def _type_linear_int(L):
    m = L.nn.Linear(2, 3)
    m.type(L.int32)


def _type_frozen_int(L):
    m = fill(L, L.nn.Linear(2, 3)).requires_grad_(False)
    return state(m.type(L.int32))


def _type_keeps_objects(L):
    m = L.nn.BatchNorm1d(3)
    w = m.weight
    return [m.type(L.float64) is m, m.weight is w, state(m)]


def _type_grad(L):
    m = fill(L, L.nn.Linear(2, 2))
    m(L.ones(1, 2)).sum().backward()
    m.type(L.float64)
    return m.weight.grad


def _share_memory(L):
    m = _bn(L)
    return [m.share_memory() is m, state(m)]


def _to_empty(L):
    m = _bn(L)
    w = m.weight
    r = m.to_empty(device="cpu")
    return [r is m, m.weight is w, [(k, tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in
                                    m.state_dict().items()]]


def _to_empty_no_device(L):
    L.nn.Linear(2, 2).to_empty()


def _register_module(L):
    m = L.nn.Sequential()
    m.register_module("act", L.nn.ReLU())
    m.register_module("lin", fill(L, L.nn.Linear(2, 2)))
    return [[k for k, _ in m.named_children()], state(m)]


def _get(kind, target):
    def program(L):
        m = L.nn.Sequential(L.nn.Linear(2, 3), _bn(L))
        return getattr(m, kind)(target) is not None
    return program


MODULE_PROGRAMS = {
    "type_float64": lambda L: state(_bn(L).type(L.float64)),
    "type_name": lambda L: state(_bn(L).type("torch.DoubleTensor")),
    "type_int_requires_grad": _type_linear_int,
    "type_int_frozen": _type_frozen_int,
    "type_int_no_parameters": lambda L: type(L.nn.ReLU().type(L.int32)).__name__,
    "type_keeps_objects": _type_keeps_objects,
    "type_converts_grad": _type_grad,
    "share_memory": _share_memory,
    "to_empty": _to_empty,
    "to_empty_needs_device": _to_empty_no_device,
    "register_module": _register_module,
    "get_submodule": _get("get_submodule", "1"),
    "get_submodule_missing": _get("get_submodule", "foo"),
    "get_submodule_deep_missing": _get("get_submodule", "1.foo"),
    "get_parameter": _get("get_parameter", "0.weight"),
    "get_parameter_of_buffer": _get("get_parameter", "1.running_mean"),
    "get_parameter_missing": _get("get_parameter", "0.nope"),
    "get_buffer": _get("get_buffer", "1.num_batches_tracked"),
    "get_buffer_of_parameter": _get("get_buffer", "1.weight"),
    "get_buffer_bad_module": _get("get_buffer", "7.weight"),
}


@pytest.mark.parametrize("name", MODULE_PROGRAMS)
def test_module_methods_match_torch(name):
    check(MODULE_PROGRAMS[name])


def _scalar_module(L):
    class Scalars(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = L.nn.Parameter(L.tensor(2.))
            self.register_buffer("b", L.tensor(3))
            self.v = L.nn.Parameter(L.ones(1))
    return Scalars()


def _load_scalars(values, assign=False):
    """torch's rule for old checkpoints: a 1-element 1-d entry loads into a 0-d parameter or
    buffer (not the other way round, and not a (1, 1) one)."""
    def program(L):
        m = _scalar_module(L)
        m.load_state_dict({k: L.tensor(v) for k, v in values.items()}, assign=assign)
        return {k: (tuple(t.shape), t, type(t).__name__)
                for k, t in m.state_dict(keep_vars=True).items()}
    return program


LOAD_SCALAR_PROGRAMS = {
    f"{name}{'_assign' if assign else ''}": _load_scalars(values, assign)
    for name, values in {"one_element_into_0d": dict(s=[5.], b=[7], v=[9.]),
                         "0d_into_one_element": dict(s=[5.], b=[7], v=9.),
                         "1x1_into_0d": dict(s=[[5.]], b=[7], v=[9.]),
                         "two_into_0d": dict(s=[5., 6.], b=[7], v=[9.])}.items()
    for assign in (False, True)}


@pytest.mark.parametrize("name", LOAD_SCALAR_PROGRAMS)
def test_load_state_dict_one_element_into_0d_as_torch(name):
    check(LOAD_SCALAR_PROGRAMS[name])


def test_bfloat16_is_refused_honestly():
    """torch converts to bfloat16; NumPy has no such dtype, so ours says so instead of
    giving some other dtype silently."""
    assert torch.nn.Linear(2, 2).bfloat16().weight.dtype == torch.bfloat16
    with pytest.raises(NotImplementedError, match="bfloat16"):
        tg.nn.Linear(2, 2).bfloat16()


# ---------------------------------------------------------------------------- nn.Buffer
def _with_buffers(L, persistent):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.plain = 1
            self.lin = L.nn.Linear(2, 2)
            self.b = L.nn.Buffer(L.ones(2), persistent=persistent)
            self.c = L.nn.Buffer(L.zeros(1))
    return M()


def _buffer_keys(persistent):
    def program(L):
        m = _with_buffers(L, persistent)
        return [list(m.state_dict()), [k for k, _ in m.named_buffers()],
                type(m.b).__name__, m.b]
    return program


def _buffer_assign(name):
    def program(L):
        m = _with_buffers(L, True)
        setattr(m, name, L.nn.Buffer(L.ones(3)))
        return [list(m.state_dict()), [k for k, _ in m.named_buffers()]]
    return program


def _buffer_shares_memory(L):
    t = L.zeros(2)
    m = L.nn.Module()
    m.b = L.nn.Buffer(t)
    t.add_(5)
    return m.b


def _buffer_reassign_non_persistent(L):
    m = _with_buffers(L, True)
    m.c = L.nn.Buffer(L.ones(4), persistent=False)
    return [list(m.state_dict()), m.c]


def _register_buffer_of_buffer(L):
    m = L.nn.Module()
    m.register_buffer("q", L.nn.Buffer(L.ones(1), persistent=False))
    return [list(m.state_dict()), type(m.q).__name__]


def _buffer_requires_grad(L):
    b = L.nn.Buffer(L.ones(2, requires_grad=True))
    return [b.requires_grad, b.persistent, isinstance(L.ones(1), L.nn.Buffer)]


BUFFER_PROGRAMS = {
    "persistent": _buffer_keys(True),
    "non_persistent": _buffer_keys(False),
    "over_plain_attribute": _buffer_assign("plain"),
    "over_submodule": _buffer_assign("lin"),
    "over_parameter": lambda L: setattr(L.nn.Linear(2, 2), "weight", L.nn.Buffer(L.ones(1))),
    "over_buffer": _buffer_assign("c"),
    "new_name": _buffer_assign("d"),
    "shares_memory": _buffer_shares_memory,
    "reassign_non_persistent": _buffer_reassign_non_persistent,
    "register_buffer_of_buffer": _register_buffer_of_buffer,
    "requires_grad_and_isinstance": _buffer_requires_grad,
    "empty": lambda L: L.nn.Buffer(),
    "not_a_tensor": lambda L: L.nn.Buffer([1.0]),
    "repr": lambda L: repr(L.nn.Buffer(L.tensor([1.0, 2.0]))),
}


@pytest.mark.parametrize("name", BUFFER_PROGRAMS)
def test_buffer_matches_torch(name):
    check(BUFFER_PROGRAMS[name])


# ---------------------------------------------------------------------------- nn.modules
NN_MODULES_PATHS = [("module", "Module"), ("conv", "Conv2d"), ("conv", "_ConvNd"),
                    ("linear", "Linear"), ("batchnorm", "BatchNorm2d"),
                    ("batchnorm", "_BatchNorm"), ("batchnorm", "_NormBase"),
                    ("batchnorm", "SyncBatchNorm"), ("normalization", "LayerNorm"),
                    ("instancenorm", "_InstanceNorm"), ("container", "Sequential"),
                    ("activation", "ReLU"), ("activation", "MultiheadAttention"),
                    ("loss", "CrossEntropyLoss"), ("loss", "_Loss"),
                    ("loss", "_WeightedLoss"), ("pooling", "MaxPool2d"),
                    ("dropout", "_DropoutNd"), ("sparse", "Embedding"), ("rnn", "LSTM"),
                    ("transformer", "TransformerEncoderLayer"), ("flatten", "Flatten"),
                    ("fold", "Unfold"), ("lazy", "LazyModuleMixin")]


@pytest.mark.parametrize("sub,name", NN_MODULES_PATHS)
def test_nn_modules_paths_are_the_classes(sub, name):
    """``nn.modules.<sub>.<name>`` is the class that ``nn`` (or its own module) holds, and
    ``import tinygrad_sgd.nn.modules.<sub>`` works, as torch's."""
    import importlib
    for L, root in ((torch, "torch"), (tg, "tinygrad_sgd")):
        space = importlib.import_module(f"{root}.nn.modules.{sub}")
        cls = getattr(space, name)
        assert getattr(getattr(L.nn.modules, sub), name) is cls
        if not name.startswith("_") and hasattr(torch.nn, name):
            assert getattr(L.nn, name) is cls and getattr(L.nn.modules, name) is cls


@pytest.mark.parametrize("sub,name", [("batchnorm", "_BatchNorm"), ("conv", "Conv2d"),
                                      ("module", "Module"), ("loss", "_Loss")])
def test_nn_modules_paths_in_a_torch_program(sub, name):
    """Through the ``import torch`` shim too (private base classes included)."""
    from tinygrad_sgd._torch_shim import torch_modules
    import importlib
    expected = getattr(importlib.import_module(f"tinygrad_sgd.nn.modules.{sub}"), name)
    with torch_modules():
        space = importlib.import_module(f"torch.nn.modules.{sub}")
        assert getattr(space, name) is expected
        shim_torch = importlib.import_module("torch")
        assert getattr(getattr(shim_torch.nn.modules, sub), name) is expected


def test_subclassing_batchnorm_base_by_torch_path():
    """The isinstance check user code writes: every BatchNorm*d (and SyncBatchNorm) is a
    ``nn.modules.batchnorm._BatchNorm``, an InstanceNorm is not."""
    for L in (torch, tg):
        base = L.nn.modules.batchnorm._BatchNorm
        got = [isinstance(m, base) for m in (L.nn.BatchNorm1d(2), L.nn.BatchNorm2d(2),
                                             L.nn.SyncBatchNorm(2), L.nn.InstanceNorm2d(2))]
        assert got == [True, True, True, False], L.__name__


# ---------------------------------------------------------------------------- containers
def _layers(L, n=4):
    return [L.nn.Linear(2, 2), L.nn.ReLU(), L.nn.Tanh(), L.nn.Identity(), L.nn.Sigmoid()][:n]


def _shape_of(L, container, originals):
    """Names of the children and which original each is (its index), to compare."""
    return [(k, next(i for i, o in enumerate(originals) if o is m))
            for k, m in container.named_children()] if container is not None else None


def _container_program(kind, action):
    def program(L):
        mods = _layers(L)
        c = getattr(L.nn, kind)(*(mods[:3],) if kind == "ModuleList" else mods[:3])
        out = action(L, c, mods)
        if isinstance(out, L.nn.Module):
            return [_shape_of(L, out, mods), out is c, _shape_of(L, c, mods)]
        return [None if out is None else next(i for i, o in enumerate(mods) if o is out),
                _shape_of(L, c, mods)]
    return program


def _iadd_list(L, c, mods):
    c += [mods[3]]
    return c


def _iadd_seq(L, c, mods):
    c += L.nn.Sequential(mods[3], mods[4])
    return c


def _imul(n):
    def action(L, c, mods):
        c *= n
        return c
    return action


CONTAINER_PROGRAMS = {
    "list_pop_index": ("ModuleList", lambda L, c, m: c.pop(1)),
    "list_pop_negative": ("ModuleList", lambda L, c, m: c.pop(-1)),
    "list_pop_out_of_range": ("ModuleList", lambda L, c, m: c.pop(5)),
    "list_pop_slice": ("ModuleList", lambda L, c, m: c.pop(slice(0, 2))),
    "list_add": ("ModuleList", lambda L, c, m: c + L.nn.ModuleList([m[3]])),
    "list_iadd": ("ModuleList", _iadd_list),
    "seq_add": ("Sequential", lambda L, c, m: c + L.nn.Sequential(m[3], m[4])),
    "seq_add_list": ("Sequential", lambda L, c, m: c + L.nn.ModuleList([m[3]])),
    "seq_iadd": ("Sequential", _iadd_seq),
    "seq_mul": ("Sequential", lambda L, c, m: c * 2),
    "seq_rmul": ("Sequential", lambda L, c, m: 3 * c),
    "seq_mul_zero": ("Sequential", lambda L, c, m: c * 0),
    "seq_mul_float": ("Sequential", lambda L, c, m: c * 2.0),
    "seq_imul": ("Sequential", _imul(2)),
    "seq_imul_negative": ("Sequential", _imul(-1)),
    "seq_pop": ("Sequential", lambda L, c, m: c.pop(1)),
    "seq_insert": ("Sequential", lambda L, c, m: c.insert(1, m[4])),
    "seq_insert_negative": ("Sequential", lambda L, c, m: c.insert(-1, m[4])),
    "seq_append": ("Sequential", lambda L, c, m: c.append(m[4])),
    "seq_extend": ("Sequential", lambda L, c, m: c.extend([m[3], m[4]])),
}


@pytest.mark.parametrize("name", CONTAINER_PROGRAMS)
def test_container_methods_match_torch(name):
    kind, action = CONTAINER_PROGRAMS[name]
    check(_container_program(kind, action))


def _pdict(L):
    return L.nn.ParameterDict({"b": L.nn.Parameter(L.ones(2)),
                               "a": L.nn.Parameter(L.zeros(1))})


def _pd(action):
    def program(L):
        d = _pdict(L)
        out = action(L, d)
        return [summary(out) if not isinstance(out, L.nn.ParameterDict) else
                ("pdict", state(out), out is d), state(d)]
    return program


def _pd_popitem(L, d):
    k, v = d.popitem()
    return [k, v]


def _pd_update_ior(L, d):
    d |= L.nn.ParameterDict({"z": L.nn.Parameter(L.ones(1) * 3)})
    return d


def _pd_copy_shares(L, d):
    c = d.copy()
    return [c["a"] is d["a"], list(c.keys())]


PARAMETER_DICT_PROGRAMS = {
    "get": lambda L, d: d.get("a"),
    "get_missing": lambda L, d: d.get("zz"),
    "get_default": lambda L, d: d.get("zz", 5),
    "setdefault_present": lambda L, d: d.setdefault("a", L.nn.Parameter(L.ones(7))),
    "setdefault_new": lambda L, d: d.setdefault("c", L.nn.Parameter(L.ones(3))),
    "pop": lambda L, d: d.pop("b"),
    "popitem": _pd_popitem,
    "update_pairs": lambda L, d: d.update([("c", L.nn.Parameter(L.ones(1)))]),
    "copy": lambda L, d: d.copy(),
    "copy_shares": _pd_copy_shares,
    "fromkeys": lambda L, d: d.fromkeys(["x", "y"], L.nn.Parameter(L.ones(2))),
    "or": lambda L, d: d | L.nn.ParameterDict({"z": L.nn.Parameter(L.ones(1))}),
    "ior": _pd_update_ior,
    "reversed": lambda L, d: list(reversed(d)),
    "module_dict_has_no_get": lambda L, d: hasattr(L.nn.ModuleDict(), "get"),
}


@pytest.mark.parametrize("name", PARAMETER_DICT_PROGRAMS)
def test_parameter_dict_methods_match_torch(name):
    check(_pd(PARAMETER_DICT_PROGRAMS[name]))


# ---------------------------------------------------------------------------- SyncBatchNorm
def _sync_forward(shape, train, **kwargs):
    def program(L):
        m = fill(L, L.nn.SyncBatchNorm(shape[1], **kwargs)).train(train)
        x = L.tensor(np.cos(np.arange(int(np.prod(shape))) * 0.7).reshape(shape),
                     dtype=L.float32, requires_grad=True)
        y = m(x)
        (y * L.tensor(np.sin(np.arange(y.numel())).reshape(shape), dtype=L.float32)).sum() \
            .backward()
        return [y, x.grad, state(m), repr(m)]
    return program


SYNC_PROGRAMS = {
    "train_2d": _sync_forward((4, 3), True),
    "train_3d": _sync_forward((4, 3, 5), True),
    "train_4d": _sync_forward((2, 3, 2, 2), True),
    "train_5d_momentum_none": _sync_forward((2, 3, 2, 1, 2), True, momentum=None),
    "eval_3d": _sync_forward((4, 3, 5), False),
    "eval_untracked": _sync_forward((4, 3, 5), False, track_running_stats=False),
    "train_no_bias": _sync_forward((4, 3), True, bias=False),
    "one_d_input": lambda L: L.nn.SyncBatchNorm(3)(L.ones(3)),
    "zero_channels": lambda L: L.nn.SyncBatchNorm(0)(L.ones(2, 0, 3)),
    "process_group_kept": lambda L: L.nn.SyncBatchNorm(3, process_group="g").process_group,
}


@pytest.mark.parametrize("name", SYNC_PROGRAMS)
def test_sync_batchnorm_matches_torch(name):
    check(SYNC_PROGRAMS[name], rtol=2e-6)


@pytest.mark.parametrize("train", [True, False])
def test_sync_batchnorm_is_batchnorm_on_one_process(train):
    """As torch's fallback: exactly our BatchNorm1d's numbers, running statistics too."""
    x = np.cos(np.arange(60) * 0.7).reshape(4, 3, 5).astype(np.float32)
    results = []
    for cls in (tg.nn.SyncBatchNorm, tg.nn.BatchNorm1d):
        m = fill(tg, cls(3)).train(train)
        results.append([summary(m(tg.tensor(x))), summary(state(m))])
    assert_same(*results)


def _convert(L):
    bn = L.nn.BatchNorm2d(3, momentum=0.3, eps=1e-3)
    inner = L.nn.BatchNorm1d(3, affine=False)
    model = L.nn.Sequential(L.nn.Conv2d(3, 3, 1), bn, L.nn.Sequential(inner))
    fill(L, model)
    model[2].eval()
    out = L.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return [out is model, repr(out), out[1].weight is bn.weight,
            out[1].running_mean is bn.running_mean, out[2][0].training, state(out),
            type(L.nn.SyncBatchNorm.convert_sync_batchnorm(L.nn.BatchNorm3d(2))).__name__,
            type(L.nn.SyncBatchNorm.convert_sync_batchnorm(L.nn.ReLU())).__name__]


def test_convert_sync_batchnorm_matches_torch():
    check(_convert, rtol=2e-6)


# ---------------------------------------------------------------------------- numpy()
def _numpy_shares(force):
    def program(L):
        t = L.zeros(3)
        a = t.numpy(force=force)
        t.add_(2)
        return [np.array(a), t.numpy(force=force).dtype.name]
    return program


NUMPY_PROGRAMS = {
    "shares_memory": _numpy_shares(False),
    "force_shares_memory": _numpy_shares(True),
    "force_requires_grad": lambda L: np.array(L.ones(2, requires_grad=True).numpy(force=True)),
    "force_positional": lambda L: L.ones(2).numpy(True),
}


@pytest.mark.parametrize("name", NUMPY_PROGRAMS)
def test_numpy_matches_torch(name):
    check(NUMPY_PROGRAMS[name])


# ---------------------------------------------------------------------------- SparseAdam
def _sparse_adam(action):
    def program(L):
        p = L.nn.Parameter(L.ones(3))
        return action(L, p)
    return program


def _sparse_step_dense(L, p):
    opt = L.optim.SparseAdam([p])
    p.grad = L.ones(3)
    opt.step()


def _sparse_step_no_grad(L, p):
    opt = L.optim.SparseAdam([p])
    return [opt.step(lambda: 7.0), p, opt.state_dict()["param_groups"]]


SPARSE_ADAM_PROGRAMS = {
    "defaults": lambda L, p: L.optim.SparseAdam([p]).defaults,
    "step_dense_grad": _sparse_step_dense,
    "step_without_grads": _sparse_step_no_grad,
    "negative_lr": lambda L, p: L.optim.SparseAdam([p], lr=-1),
    "beta_one": lambda L, p: L.optim.SparseAdam([p], betas=(1.0, 0.9)),
    "negative_eps": lambda L, p: L.optim.SparseAdam([p], eps=-1),
    "one_tensor": lambda L, p: L.optim.SparseAdam(p),
}


@pytest.mark.parametrize("name", SPARSE_ADAM_PROGRAMS)
def test_sparse_adam_matches_torch(name):
    check(_sparse_adam(SPARSE_ADAM_PROGRAMS[name]))


# ---------------------------------------------------------------------------- Tensor lr
def _steps(L, name, kwargs, lr, dtype):
    rng = np.random.default_rng(0)
    p = L.nn.Parameter(L.tensor(rng.standard_normal((5, 4)).astype(dtype)))
    opt = getattr(L.optim, name)([p], lr=L.tensor(lr) if lr is not None else 0.0123, **kwargs)
    for _ in range(20):
        p.grad = L.tensor(rng.standard_normal((5, 4)).astype(dtype))
        opt.step()
    return np.array(p.detach().numpy())


def _ulps(a, b):
    return int(ulps(a, b).max())


# (optimizer, options, the most ulps allowed after 20 steps in float32 / float64). SGD is
# bit for bit (torch's add_(alpha=) is a fused multiply-add, as ours); Adam, RMSprop and
# Adagrad take square roots, and torch's vectorised float32 sqrt is not always correctly
# rounded — those stay within a few ulps.
TENSOR_LR = [
    ("SGD", {}, 0, 0),
    ("SGD", dict(momentum=0.9), 0, 0),
    ("SGD", dict(momentum=0.9, dampening=0.2, weight_decay=0.1), 0, 0),
    ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.1), 0, 0),
    ("SGD", dict(maximize=True, weight_decay=0.01), 0, 0),
    ("Adam", {}, 1, 1),
    ("Adam", dict(amsgrad=True, weight_decay=0.1), 2, 2),
    ("AdamW", {}, 1, 1),
    ("AdamW", dict(weight_decay=0.3), 2, 2),
    ("RMSprop", {}, 3, 0),
    ("RMSprop", dict(momentum=0.5, centered=True), 3, 2),
    ("Adagrad", {}, 1, 1),
    ("Adagrad", dict(lr_decay=0.01), 1, 1),
]


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
@pytest.mark.parametrize("name,kwargs,ulps32,ulps64", TENSOR_LR)
def test_tensor_lr_steps_match_torch(name, kwargs, ulps32, ulps64, kernels, restore_backend):
    """20 steps with ``lr=tensor(0.0123)`` (torch keeps it a float32 tensor: Adam's
    ``lr / (1 − β₁ᵗ)``, AdamW's ``1 − lr·λ`` and Adagrad's decayed lr are float32 tensor
    ops there), in float32 and in float64 parameters — float64 shows those roundings —
    with either kernel set."""
    tg.kernels.set_backend(kernels)
    for dtype, allowed in ((np.float32, ulps32), (np.float64, ulps64)):
        theirs = _steps(torch, name, kwargs, 0.0123, dtype)
        ours = _steps(tg, name, kwargs, 0.0123, dtype)
        assert ours.dtype == theirs.dtype
        assert _ulps(ours, theirs) <= allowed, (dtype.__name__, _ulps(ours, theirs))


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(momentum=0.9)), ("Adam", {}),
                                         ("AdamW", {}), ("Adagrad", dict(lr_decay=0.1))])
def test_tensor_lr_differs_from_float_lr_as_torch(name, kwargs):
    """A float32 tensor lr and the Python float are not the same optimizer in torch (the
    tensor's roundings); ours differs from its float-lr run exactly where torch's does."""
    for dtype in (np.float32, np.float64):
        same_torch = np.array_equal(_steps(torch, name, kwargs, 0.0123, dtype),
                                    _steps(torch, name, kwargs, None, dtype))
        same_ours = np.array_equal(_steps(tg, name, kwargs, 0.0123, dtype),
                                   _steps(tg, name, kwargs, None, dtype))
        assert same_ours == same_torch, dtype.__name__


ADD_SCALED_CASES = [(np.float32, 7, -0.0123), (np.float32, 4099, 0.9), (np.float64, 1000, -0.0123),
                    (np.float64, 33, 1e-7), (np.float16, 64, 0.3)]


@pytest.mark.parametrize("dtype,n,alpha", ADD_SCALED_CASES)
def test_add_scaled_is_torchs_add_with_alpha(dtype, n, alpha):
    """The kernel SGD's update runs on: ``y.add(x, alpha=α)`` bit for bit."""
    from tinygrad_sgd.kernels.optim import add_scaled
    rng = np.random.default_rng(n)
    y = rng.standard_normal(n).astype(dtype)
    x = (rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e3], n)).astype(dtype)
    theirs = torch.tensor(y).add(torch.tensor(x), alpha=alpha).numpy()
    ours = add_scaled(y, alpha, x)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
