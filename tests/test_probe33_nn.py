"""Probe 33, nn / optim / misc API fidelity with torch 2.13: each case is run in torch and here,
and what each does (values, warnings, when and which error) is compared.

Found wrong before the fixes (each row below failed):
* loading a lazy layer's state dict (its placeholders) into a lazy layer failed on the
  placeholder's shape; into an initialized one it was a size-mismatch report (torch: the
  placeholder's "Can't access the shape" RuntimeError);
* ``nn.Buffer(t)`` was an instance of a ``Buffer`` class (torch: a plain Tensor marked
  ``_is_buffer``, which ``isinstance(x, nn.Buffer)`` recognises), and the module kept a copy
  without its ``persistent`` attribute;
* Conv1d/2d/3d and ConvTranspose with 0 channels were refused (torch: built with a warning; a
  convolution of an input with no channels gives an output with none);
* a ConvTranspose with padding='same', a kernel/stride tuple of the wrong length, a float
  stride or padding, a loss with reduction='bogus', ``Linear(True, 4)``, ``LazyLinear(-1)``
  were refused at construction (torch: at forward, or not at all); ``LazyConv2d(4, -1)`` was
  accepted (torch: refused at construction);
* ``optimizer.load_state_dict`` copied every state tensor and made ``step`` float32 (torch
  keeps the state dict's tensors — shared — and ``step``'s dtype), and refused state for a
  parameter index in no group (torch keeps it);
* ``save`` of a ``collections.defaultdict`` wrote a dict (torch: a defaultdict, which
  ``weights_only=False`` reads back and ``weights_only=True`` refuses);
* NAdam, RAdam and Adamax computed with Tensor betas as with Python floats (torch: float32 0-d
  tensor arithmetic), a few ulps off after some steps;
* ``set_printoptions(profile='long')`` raised (torch: an unknown profile changes nothing);
  ``Size([1.5])``/``Size(['a'])`` gave Python's int errors, ``Size([True])`` kept a bool;
  ``return_types.linalg_eigh`` (and the other linalg result types) were missing;
* a Tensor subclass printed as ``tensor(...)`` (torch: ``MyT(...)``); ``as_subclass`` was
  missing.
"""
import collections
import io
import pickle
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from test_probe31_optim import assert_bitwise, run


def _outcome(fn):
    """``("ok", value, warnings)`` or ``("error", exception, warnings)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", fn())
        except Exception as e:          # noqa: BLE001  (the class is what is compared)
            out = ("error", e)
    return out + ([str(w.message) for w in caught],)


def _same_error(ours, theirs, fragment=None):
    """Ours is (a subclass of) torch's exception class and, given, says ``fragment``."""
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs), ours, theirs)
    if fragment is not None:
        assert fragment in str(theirs), theirs
        assert fragment in str(ours), ours


# ------------------------------------------------------------------------- 1. lazy modules
LAZY = [("LazyLinear", (4,)), ("LazyConv2d", (4, 3)), ("LazyConvTranspose1d", (2, 3)),
        ("LazyBatchNorm1d", ()), ("LazyInstanceNorm2d", ())]


@pytest.mark.parametrize("name,args", LAZY, ids=[n for n, _ in LAZY])
def test_lazy_state_dict_before_the_first_forward(name, args):
    def entries(lib):
        sd = getattr(lib.nn, name)(*args).state_dict()
        return [(k, type(v).__name__, repr(v) if "Uninitialized" in type(v).__name__ else None)
                for k, v in sd.items()]
    assert entries(tg) == entries(torch)


def test_lazy_state_dict_loads_into_a_lazy_layer_and_refuses_an_initialized_one():
    for lib in (tg, torch):
        m = lib.nn.LazyLinear(4)
        assert repr(m.load_state_dict(lib.nn.LazyLinear(4).state_dict())) == \
            "<All keys matched successfully>"
        assert type(m.weight).__name__ == "UninitializedParameter"
    ours = _outcome(lambda: tg.nn.Linear(3, 4).load_state_dict(tg.nn.LazyLinear(4).state_dict()))
    theirs = _outcome(lambda: torch.nn.Linear(3, 4).load_state_dict(
        torch.nn.LazyLinear(4).state_dict()))
    _same_error(ours[1], theirs[1], "Can't access the shape of an uninitialized parameter")


# ------------------------------------------------------------------------- 2. nn.Buffer
def _buffer_facts(lib):
    t = lib.ones(3)
    b = lib.nn.Buffer(t, persistent=False)
    facts = [type(b).__name__, isinstance(b, lib.nn.Buffer), isinstance(t, lib.nn.Buffer),
             b is t, b.persistent, b.requires_grad,
             lib.nn.Buffer(lib.ones(2, requires_grad=True)).requires_grad,
             type(lib.nn.Buffer()).__name__, tuple(lib.nn.Buffer().shape),
             isinstance(lib.nn.Parameter(lib.ones(1)), lib.nn.Buffer),
             isinstance(b + 1, lib.nn.Buffer)]

    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.nn.Buffer(lib.zeros(2))
            self.b = lib.nn.Buffer(lib.ones(2), persistent=False)

    m = M()
    facts += [list(m.state_dict()), [n for n, _ in m.named_buffers()], type(m.a).__name__,
              getattr(m.a, "persistent", None), isinstance(m.a, lib.nn.Buffer)]
    m.a = lib.ones(2)                      # a plain tensor: still the buffer, persistent
    facts += [list(m.state_dict()), isinstance(m.a, lib.nn.Buffer)]
    m.b = lib.nn.Buffer(lib.ones(3))       # a Buffer brings its own persistence
    facts += [list(m.state_dict()), sorted(m._non_persistent_buffers_set)]
    facts.append(_outcome(lambda: lib.nn.Buffer([1, 2]))[1].__class__.__name__)
    return facts


def test_buffer_is_a_marked_plain_tensor_as_torch():
    assert _buffer_facts(tg) == _buffer_facts(torch)


def test_a_saved_buffer_loads_as_a_buffer():
    """torch pickles a tensor's attributes (``_rebuild_from_type_v2``): a saved nn.Buffer
    loads as one, its persistence kept — from our file or torch's, in either library."""
    files = []
    for lib in (tg, torch):
        f = io.BytesIO()
        lib.save({"b": lib.nn.Buffer(lib.ones(2), persistent=False), "t": lib.ones(1)}, f)
        files.append(f)
    for f in files:
        for lib in (tg, torch):
            for weights_only in (True, False):
                f.seek(0)
                back = lib.load(f, weights_only=weights_only)
                assert isinstance(back["b"], lib.nn.Buffer) and back["b"].persistent is False
                assert not isinstance(back["t"], lib.nn.Buffer)
                assert back["b"].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------- 3. 0 channels
ZERO = [("Conv1d", (0, 4, 3), {}, (2, 0, 5)), ("Conv2d", (0, 4, 3), {}, (2, 0, 5, 5)),
        ("Conv3d", (0, 4, 3), {}, (1, 0, 4, 4, 4)), ("Conv2d", (0, 4, 3), {}, (0, 5, 5)),
        ("Conv2d", (0, 4, 3), {"bias": False, "padding": 1}, (2, 0, 5, 5)),
        ("Conv2d", (0, 4, 3), {"groups": 2, "stride": 2}, (2, 0, 7, 7)),
        ("ConvTranspose2d", (0, 4, 3), {}, (2, 0, 5, 5)),
        ("ConvTranspose2d", (4, 0, 3), {}, (2, 4, 5, 5)),
        ("Conv2d", (4, 0, 3), {}, (2, 4, 5, 5))]


def _zero_channels(lib, name, args, kwargs, shape):
    built = _outcome(lambda: getattr(lib.nn, name)(*args, **kwargs))
    m = built[1]
    facts = [built[2], repr(m), [(n, tuple(p.shape)) for n, p in m.named_parameters()]]
    x = lib.ones(*shape, requires_grad=True)
    out = _outcome(lambda: m(x))
    if out[0] == "error":
        return facts, out[1]
    y = out[1]
    y.sum().backward()
    facts += [tuple(y.shape), [(tuple(p.grad.shape), p.grad.abs().sum().item())
                               for p in m.parameters()], tuple(x.grad.shape)]
    return facts, None


@pytest.mark.parametrize("name,args,kwargs,shape", ZERO,
                         ids=[f"{n}{a}{k or ''}{s}" for n, a, k, s in ZERO])
def test_zero_channels_build_with_torchs_warning_and_forward_as_torch(name, args, kwargs,
                                                                      shape):
    ours, our_error = _zero_channels(tg, name, args, kwargs, shape)
    theirs, their_error = _zero_channels(torch, name, args, kwargs, shape)
    assert ours[0] == theirs[0] == ["Initializing zero-element tensors is a no-op"]
    assert ours[1].replace("tinygrad_sgd", "torch") == theirs[1]
    assert ours[2:] == theirs[2:]
    assert (our_error is None) == (their_error is None)
    if their_error is not None:
        _same_error(our_error, their_error)


# ------------------------------------------------------------------------- 4. when refused
LATE = [   # (layer, args, kwargs, input shape or loss inputs, a fragment both errors share)
    ("ConvTranspose2d", (2, 3, 3), {"padding": "same"}, (1, 2, 5, 5),
     "argument 'padding'"),
    ("ConvTranspose1d", (2, 3, 3), {"padding": "valid"}, (1, 2, 5), "argument 'padding'"),
    ("Conv2d", (2, 3, (3, 3, 3)), {}, (1, 2, 5, 5), None),
    ("Conv1d", (2, 3, (3, 3)), {}, (1, 2, 5), None),
    ("Conv2d", (2, 3, 3), {"stride": 1.5}, (1, 2, 5, 5), None),
    ("Conv2d", (2, 3, 3), {"stride": (1, 2, 3)}, (1, 2, 5, 5), None),
    ("Conv2d", (2, 3, 3), {"padding": 1.5}, (1, 2, 5, 5), None),
    ("ConvTranspose2d", (2, 3, 3), {"output_padding": 1.5}, (1, 2, 5, 5),
     "argument 'output_padding'"),
    ("Conv2d", (2, 3, 3), {"dilation": 0}, (1, 2, 5, 5), None),
    ("Conv2d", (2, 3, 0), {}, (1, 2, 5, 5), None),
    ("Conv2d", (2, 3, 3.0), {}, (1, 2, 5, 5), "empty(): argument 'size'"),
    ("Conv2d", (2, 3, 3), {"padding": "Same"}, (1, 2, 5, 5), "Invalid padding string 'Same'"),
    ("Linear", (True, 4), {}, (2, 1), None),
    ("Linear", (4, False), {}, (2, 4), "found element of type bool at pos 0"),
    ("Linear", (4.0, 3), {}, (2, 4), None),
    ("LazyLinear", (-1,), {}, (2, 4), "Trying to create tensor with negative dimension -1"),
    ("LazyLinear", (0,), {}, (2, 4), None),
    ("LazyLinear", (2.5,), {}, (2, 4), "found element of type float at pos 0"),
    ("LazyConv2d", (4, -1), {}, (1, 2, 5, 5),
     "Trying to create tensor with negative dimension -1: [0, 0, -1, -1]"),
    ("LazyConv2d", (-4, 3), {}, (1, 2, 5, 5),
     "Trying to create tensor with negative dimension -4: [-4, 2, 3, 3]"),
    ("LazyConv2d", (4, 3), {"stride": 1.5}, (1, 2, 5, 5), None),
    ("LazyConvTranspose2d", (4, 3), {"padding": "same"}, (1, 2, 5, 5), "argument 'padding'"),
    ("MSELoss", (), {"reduction": "bogus"}, "pair", "bogus is not a valid value for reduction"),
    ("L1Loss", (), {"reduction": None}, "pair", "None is not a valid value for reduction"),
    ("CrossEntropyLoss", (), {"reduction": "bogus"}, "classes",
     "bogus is not a valid value for reduction"),
    ("NLLLoss", (), {"reduction": "bogus"}, "classes", "bogus is not a valid value for reduction"),
    ("BCELoss", (), {"reduction": "bogus"}, "pair", "bogus is not a valid value for reduction"),
    ("HuberLoss", (), {"reduction": "bogus"}, "pair", "bogus is not a valid value for reduction"),
    ("KLDivLoss", (), {"reduction": "bogus"}, "pair", "bogus is not a valid value for reduction"),
    ("MarginRankingLoss", (), {"reduction": "bogus"}, "triple",
     "bogus is not a valid value for reduction"),
]


def _late(lib, name, args, kwargs, inputs):
    built = _outcome(lambda: getattr(lib.nn, name)(*args, **kwargs))
    if built[0] == "error":
        return "construction", built[1]
    m = built[1]
    gen = np.random.default_rng(0)
    a, b = (lib.tensor(gen.uniform(0.1, 0.9, (3, 4)).astype(np.float32)) for _ in range(2))
    if inputs == "pair":
        call = (a, b)
    elif inputs == "classes":
        call = (a, lib.tensor([0, 1, 3]))
    elif inputs == "triple":
        call = (a, b, lib.tensor([1.0, -1.0, 1.0]))
    else:
        call = (lib.ones(*inputs),)
    ran = _outcome(lambda: m(*call))
    return ("forward", ran[1]) if ran[0] == "error" else ("ok", tuple(ran[1].shape))


@pytest.mark.parametrize("name,args,kwargs,inputs,fragment", LATE,
                         ids=[f"{r[0]}{r[1]}{r[2] or ''}" for r in LATE])
def test_arguments_are_refused_when_torch_refuses_them(name, args, kwargs, inputs, fragment):
    ours, theirs = _late(tg, name, args, kwargs, inputs), _late(torch, name, args, kwargs, inputs)
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] == "ok":
        assert ours == theirs
    else:
        _same_error(ours[1], theirs[1], fragment)


# ------------------------------------------------------------------------- 5. load_state_dict
OPTIMIZERS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {}), ("AdamW", {"amsgrad": True}),
              ("NAdam", {}), ("RAdam", {}), ("Adamax", {}), ("ASGD", {}), ("Rprop", {}),
              ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adagrad", {}),
              ("Adadelta", {})]


def _loaded_state(lib, name, options, step_dtype=None):
    p = lib.nn.Parameter(lib.ones(3))
    opt = getattr(lib.optim, name)([p], **options)
    p.grad = lib.ones(3)
    opt.step()
    sd = opt.state_dict()
    saved = sd["state"][0]
    if step_dtype is not None:
        saved["step"] = saved["step"].to(getattr(lib, step_dtype))
        saved[next(k for k in saved if k != "step")] = \
            saved[next(k for k in saved if k != "step")].double()
    q = lib.nn.Parameter(lib.ones(3))
    again = getattr(lib.optim, name)([q], **options)
    again.load_state_dict(sd)
    return [(k, str(v.dtype).split(".")[-1], v is saved[k]) if hasattr(v, "dtype") else
            (k, type(v).__name__, v is saved[k]) for k, v in again.state[q].items()]


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
@pytest.mark.parametrize("step_dtype", [None, "int64", "float64"])
def test_loaded_optimizer_state_shares_the_state_dicts_tensors(name, options, step_dtype):
    if step_dtype is not None and name == "SGD":
        pytest.skip("SGD keeps no step")
    assert _loaded_state(tg, name, options, step_dtype) == \
        _loaded_state(torch, name, options, step_dtype)


def test_loaded_state_for_no_parameter_is_kept_as_torch():
    def run_it(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        p.grad = lib.ones(3)
        opt.step()
        sd = opt.state_dict()
        sd["state"][5] = {"momentum_buffer": lib.zeros(3)}
        opt.load_state_dict(sd)
        opt.step()
        return sorted(opt.state_dict()["state"]), p.tolist()
    assert run_it(tg) == run_it(torch)


# ------------------------------------------------------------------------- 6. defaultdict
def test_defaultdict_is_saved_as_a_defaultdict():
    values = {"a": [1], "b": [2.5]}
    for factory in (list, int, None):
        ours, theirs = io.BytesIO(), io.BytesIO()
        tg.save(collections.defaultdict(factory, values), ours)
        torch.save(collections.defaultdict(factory, values), theirs)
        for saved in (ours, theirs):
            for load in (tg.load, torch.load):
                saved.seek(0)
                back = load(saved, weights_only=False)
                assert type(back) is collections.defaultdict and back == values
                assert back.default_factory is factory
                saved.seek(0)
                refused = _outcome(lambda: load(saved, weights_only=True))
                assert isinstance(refused[1], pickle.UnpicklingError), refused
                assert "Unsupported global: GLOBAL collections.defaultdict was not an allowed " \
                       "global by default" in str(refused[1])
            saved.seek(0)
            assert isinstance(_outcome(lambda: tg.load(saved))[1], pickle.UnpicklingError)


# ------------------------------------------------------------------------- 7. Tensor betas
@pytest.fixture
def ieee_sqrt(monkeypatch):
    """torch's ``sqrt`` / ``** 0.5`` as the IEEE square root (see test_probe31_optim)."""
    def sqrt(t):
        return torch.from_numpy(np.asarray(np.sqrt(t.detach().numpy())))
    power = torch.Tensor.__pow__
    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", lambda t: t.copy_(sqrt(t)))
    monkeypatch.setattr(torch.Tensor, "__pow__", lambda t, e: sqrt(t) if (
        isinstance(e, float) and e == 0.5) else power(t, e))


def _betas(b1, b2, dtype="float32"):
    return lambda lib: (lib.tensor(b1, dtype=getattr(lib, dtype)),
                        lib.tensor(b2, dtype=getattr(lib, dtype)))


def _lr(value, dtype="float32"):
    return lambda lib: lib.tensor(value, dtype=getattr(lib, dtype))


BETAS = [("NAdam", {}), ("NAdam", {"lr": _lr(0.01)}),
         ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "lr": _lr(0.01)}),
         ("NAdam", {"betas": _betas(0.9, 0.999, "float64")}),
         ("NAdam", {"betas": lambda lib: (lib.tensor(0.9), 0.999), "maximize": True}),
         ("RAdam", {}), ("RAdam", {"lr": _lr(0.01), "weight_decay": 0.1}),
         ("RAdam", {"betas": _betas(0.5, 0.6)}),
         ("RAdam", {"betas": lambda lib: (0.9, lib.tensor(0.999)),
                    "decoupled_weight_decay": True, "weight_decay": 0.1}),
         ("Adamax", {}), ("Adamax", {"lr": _lr(0.01), "weight_decay": 0.1}),
         ("Adamax", {"betas": _betas(0.9, 0.999, "float64")}),
         ("Adamax", {"lr": _lr(0.01, "float64"), "betas": _betas(0.8, 0.99)})]


@pytest.mark.usefixtures("ieee_sqrt")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,options", BETAS,
                         ids=[f"{n}-{','.join(o)}" for n, o in BETAS])
def test_tensor_betas_and_lr_step_bit_for_bit_as_torch(dtype, name, options):
    options = dict({"betas": _betas(0.9, 0.999), "lr": 0.01}, **options)
    assert_bitwise(run(tg, name, options, dtype, steps=12), run(torch, name, options, dtype,
                                                                 steps=12))


# ------------------------------------------------------------------------- 8. misc API
PROFILES = [{"profile": "long"}, {"profile": "bogus"}, {"profile": "long", "precision": 2},
            {"profile": "short"}, {"profile": "full", "precision": 6}]


@pytest.mark.parametrize("options", PROFILES, ids=[str(o) for o in PROFILES])
def test_set_printoptions_profiles_as_torch(options):
    shown = []
    for lib in (tg, torch):
        try:
            lib.set_printoptions(**options)
            shown.append((repr(lib.tensor([1.123456789, 2.5])),
                          repr(lib.arange(2000.0)).count("...")))
        finally:
            lib.set_printoptions(profile="default")
    assert shown[0] == shown[1]


SIZES = [[1.5], [-1], ["a"], [np.int64(3)], [lambda lib: lib.tensor(3)],
         [lambda lib: lib.tensor(3.0)], [True], [None], [lambda lib: lib.tensor([3])], (2, 3),
         [np.float64(2.0)], 5, [2, np.int32(4), False]]   # ([2 ** 70]: torch varies)


@pytest.mark.parametrize("items", SIZES, ids=[repr(s) for s in SIZES])
def test_size_items_as_torch(items):
    def made(lib):
        given = [v(lib) if callable(v) else v for v in items] if isinstance(items, list) \
            else items
        out = _outcome(lambda: lib.Size(given))
        if out[0] == "error":
            return type(out[1]).__name__, str(out[1]).replace("tinygrad_sgd.", "torch.")
        return list(out[1]), [type(n).__name__ for n in out[1]]
    assert made(tg) == made(torch)


LINALG = [("eigh", "linalg_eigh"), ("slogdet", "linalg_slogdet"), ("qr", "linalg_qr"),
          ("svd", "linalg_svd"), ("inv_ex", "linalg_inv_ex"), ("cholesky_ex", "linalg_cholesky_ex"),
          ("lu_factor", "linalg_lu_factor"), ("lu_factor_ex", "linalg_lu_factor_ex"),
          ("lu", "linalg_lu"), ("ldl_factor", "linalg_ldl_factor"), ("solve_ex", "linalg_solve_ex")]


@pytest.mark.parametrize("fn,type_name", LINALG, ids=[f for f, _ in LINALG])
def test_linalg_return_types_as_torch(fn, type_name):
    def facts(lib):
        A = lib.tensor([[2.0, 1.0], [1.0, 3.0]])
        out = getattr(lib.linalg, fn)(*((A, A) if fn == "solve_ex" else (A,)))
        kind = getattr(lib.return_types, type_name)
        n = kind.n_fields
        made = kind(tuple(range(n)))
        wrong = _outcome(lambda: kind(tuple(range(n + 1))))[1]
        return (type(out) is kind, type(out).__name__, isinstance(out, tuple), len(out),
                repr(out).replace("tinygrad_sgd", "torch"), repr(made).replace("tinygrad_sgd",
                                                                              "torch"),
                type(wrong).__name__, str(wrong).replace("tinygrad_sgd", "torch"))
    assert facts(tg) == facts(torch)


# ------------------------------------------------------------------------- 9. subclasses
def test_a_tensor_subclass_prints_with_its_name():
    shown = []
    for lib in (tg, torch):
        class MyT(lib.Tensor):
            pass
        x = MyT(lib.tensor([1.0, 2.5]))
        base = lib.ones(2)
        alias = base.as_subclass(MyT)
        alias[0] = 5.0                                   # (the same memory)
        leaf = lib.ones(2, requires_grad=True)
        tracked = leaf.as_subclass(MyT)
        tracked.sum().backward()
        refused = _outcome(lambda: base.as_subclass(int))[1]
        shown.append((type(x).__name__, repr(x), str(x), repr(lib.nn.Parameter(lib.ones(2))),
                      repr(lib.ones(2)), repr(alias), base.tolist(), tracked.requires_grad,
                      tracked.is_leaf, leaf.grad.tolist(), type(refused).__name__,
                      str(refused), type(base.as_subclass(lib.Tensor)) is lib.Tensor))
    assert shown[0] == shown[1]
