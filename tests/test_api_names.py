"""torch API names that programs use, against torch 2.13, table by table: the constants
(``e``, ``pi``, ``nan``, ``inf``, ``newaxis``); ``testing.assert_close`` (its verdicts, error
classes and messages line by line), ``make_tensor`` (torch's draws after the same seed) and
the deprecated ``assert_allclose``; ``compile`` (eager here) and ``Module.compile``;
``nn.parameter``, ``utils.hooks``, ``autograd.Variable``/``variable``/``inference_mode``;
``set_warn_always``, the interop-thread rules, the ``has_*`` flags, ``set_flush_denormal``;
``nn.init``'s deprecated names; ``nn.attention.sdpa_kernel`` on the CPU.

Each row runs the same program on torch and on tinygrad_sgd (``L`` is the library) and compares
what comes out: values, dtypes, warnings, or the error's class and message (torch's names —
``torch.float32``, ``torch.Size`` — read as ours: ``tinygrad_sgd.float32``, ...)."""
import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.attention as torch_attention

import tinygrad_sgd as tg
import tinygrad_sgd.nn.attention as tg_attention


def run(fn, L):
    """('ok', value) or ('error', class, message), and the warnings (category, first line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", fn(L))
        except Exception as error:     # noqa: BLE001  (the class is compared below)
            out = ("error", type(error), str(error))
    return out, [(w.category, str(w.message).split(" (Triggered internally")[0])
                 for w in caught]


def torch_names(text):
    """Our message as torch would print it: the library's name, its classes' paths."""
    for ours, theirs in (("tinygrad_sgd.tensor.Tensor", "torch.Tensor"),
                         ("tinygrad_sgd.nn.module.Parameter", "torch.nn.parameter.Parameter"),
                         ("tinygrad_sgd.bool_", "tinygrad_sgd.bool"),
                         ("tinygrad_sgd.", "torch.")):
        text = text.replace(ours, theirs)
    return text


def as_value(x):
    if isinstance(x, (torch.Tensor, tg.Tensor)):
        return np.asarray(x.detach().numpy())
    return x


def same(fn, compare_warnings=True, rtol=1e-6, atol=1e-7):
    theirs, their_warnings = run(fn, torch)
    ours, our_warnings = run(fn, tg)
    if theirs[0] == "error":
        assert ours[0] == "error", f"torch raised {theirs[1].__name__}: {theirs[2]}, we gave {ours}"
        their_class = theirs[1].__name__ if theirs[1].__module__ == "builtins" else "RuntimeError"
        assert ours[1].__name__ == their_class or their_class in [c.__name__ for c in
                                                                  ours[1].__mro__], (ours, theirs)
        assert torch_names(ours[2]) == theirs[2], (ours[2], theirs[2])
    else:
        assert ours[0] == "ok", f"we raised {ours[1].__name__}: {ours[2]}"
        a, b = as_value(ours[1]), as_value(theirs[1])
        if isinstance(b, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
            assert a.dtype == b.dtype
        elif isinstance(b, float) and math.isnan(b):
            assert isinstance(a, float) and math.isnan(a)
        else:
            assert a == b and type(a) is type(b), (a, b)
    if compare_warnings:
        # a message may name a function by its address (" at 0x7f..."): the two runs' lambdas
        # are different objects, so only the words are compared
        def words(found):
            return [(c, re.sub(r" at 0x[0-9a-f]+", " at 0x?", m)) for c, m in found]
        assert words(their_warnings) == words([(c, torch_names(m)) for c, m in our_warnings]), \
            (their_warnings, our_warnings)


# ------------------------------------------------------------------ constants
@pytest.mark.parametrize("name", ["e", "pi", "nan", "inf", "newaxis"])
def test_constants(name):
    same(lambda L: getattr(L, name))


def test_newaxis_indexes():
    same(lambda L: L.ones(2, 3)[L.newaxis, :, None].shape == (1, 2, 1, 3))


# ------------------------------------------------------------------ assert_close
AC = [
    ("float_one_off", lambda L: (L.tensor([1., 2, 3, 4]), L.tensor([1., 2, 3, 4.1])), {}),
    ("float_2d", lambda L: (L.tensor([[1., 2], [3, 4]]), L.tensor([[1., 2.5], [3, 4.1]])), {}),
    ("int_exact", lambda L: (L.tensor([1, 2, 3]), L.tensor([1, 2, 4])), {}),
    ("int_thirds", lambda L: (L.tensor([1, 2]), L.tensor([1, 3])), {"atol": 0, "rtol": 0}),
    ("int_within_atol", lambda L: (L.tensor([1, 2]), L.tensor([1, 3])), {"atol": 1, "rtol": 0}),
    ("bool", lambda L: (L.tensor([True, False]), L.tensor([True, True])), {}),
    ("dtype", lambda L: (L.tensor([1., 2]), L.tensor([1., 2], dtype=L.float64)), {}),
    ("dtype_int", lambda L: (L.tensor([1., 2]), L.tensor([1, 2])), {}),
    ("no_check_dtype", lambda L: (L.tensor([1., 2]), L.tensor([1, 2])), {"check_dtype": False}),
    ("shape", lambda L: (L.tensor([1., 2]), L.tensor([1., 2, 3])), {}),
    ("nan", lambda L: (L.tensor([1., math.nan]), L.tensor([1., math.nan])), {}),
    ("equal_nan", lambda L: (L.tensor([1., math.nan]), L.tensor([1., math.nan])),
     {"equal_nan": True}),
    ("nan_vs_number", lambda L: (L.tensor([1., math.nan]), L.tensor([1., 2])), {}),
    ("inf_same", lambda L: (L.tensor([1., math.inf]), L.tensor([1., math.inf])), {}),
    ("inf_opposite", lambda L: (L.tensor([1., math.inf]), L.tensor([1., -math.inf])), {}),
    ("expected_zero", lambda L: (L.tensor([0., 0, 0]), L.tensor([1e-3, 0, 0])), {}),
    ("float16", lambda L: (L.tensor([1.], dtype=L.float16), L.tensor([1.001], dtype=L.float16)),
     {}),
    ("float64_close", lambda L: (L.tensor([1.], dtype=L.float64),
                                 L.tensor([1. + 1e-8], dtype=L.float64)), {}),
    ("zero_dim", lambda L: (L.tensor(1.), L.tensor(1.5)), {}),
    ("empty", lambda L: (L.tensor([]), L.tensor([])), {}),
    ("rtol_only", lambda L: (L.tensor([1.]), L.tensor([1.])), {"rtol": 1e-3}),
    ("atol_only", lambda L: (L.tensor([1.]), L.tensor([1.])), {"atol": 1e-3}),
    ("msg_str", lambda L: (L.tensor([1., 2]), L.tensor([1., 3])), {"msg": "custom"}),
    ("msg_callable", lambda L: (L.tensor([1., 2]), L.tensor([1., 3])),
     {"msg": lambda m: "Header\n\n" + m + "\n\nFooter"}),
    ("zero_tolerance", lambda L: (L.tensor([1., 2]), L.tensor([1., 3])), {"rtol": 0, "atol": 0}),
    ("requires_grad", lambda L: (L.tensor([1., 2], requires_grad=True), L.tensor([1., 2])), {}),
    ("stride", lambda L: (L.tensor([[1., 2], [3, 4]]), L.tensor([[1., 2], [3, 4]]).t()), {}),
    ("stride_checked", lambda L: (L.tensor([[1., 2], [3, 4]]),
                                  L.tensor([[1., 2], [3, 4]]).t().contiguous().t()),
     {"check_stride": True}),
    ("float_scalars_close", lambda L: (1.0, 1.0 + 1e-9), {}),
    ("float_scalars", lambda L: (1.0, 1.0 + 1e-5), {}),
    ("int_scalars", lambda L: (1, 2), {}),
    ("int_float_scalars", lambda L: (1, 1.0), {}),
    ("numpy_scalars", lambda L: (np.float32(1.0), np.float64(1.5)), {}),
    ("bools", lambda L: (True, False), {}),
    ("none", lambda L: (None, None), {}),
    ("none_one", lambda L: (None, 1), {}),
    ("list", lambda L: ([1.0, 2.0], [1.0, 2.1]), {}),
    ("tuple_list", lambda L: ((1, 2), [1, 2]), {}),
    ("nested_list_types", lambda L: ([[1., 2]], [[1., 2.1]]), {}),
    ("lengths", lambda L: ([1, 2], [1, 2, 3]), {}),
    ("dict", lambda L: ({"a": L.tensor(1.)}, {"a": L.tensor(2.)}), {}),
    ("nested_dict", lambda L: ({"a": {"b": L.tensor([1., 2])}}, {"a": {"b": L.tensor([1., 3])}}),
     {}),
    ("keys", lambda L: ({"a": 1}, {"b": 1}), {}),
    ("list_of_tensors", lambda L: ([L.tensor([1., 2]), L.tensor([3.])],
                                   [L.tensor([1., 2]), L.tensor([3.5])]), {}),
    ("numpy_arrays", lambda L: (np.array([1., 2]), np.array([1., 2.5])), {}),
    ("numpy_int_arrays", lambda L: (np.array([1, 2]), np.array([1, 3])), {}),
    ("tensor_vs_numpy", lambda L: (L.tensor([1.]), np.array([1.])), {}),
    ("tensor_vs_float", lambda L: (L.tensor([1.]), 1.0), {}),
    ("strings", lambda L: ("a", "a"), {}),
    ("parameter_vs_tensor", lambda L: (L.nn.Parameter(L.tensor([1., 2])), L.tensor([1., 2.5])),
     {}),
    ("no_subclasses", lambda L: (L.nn.Parameter(L.tensor([1., 2])), L.tensor([1., 2])),
     {"allow_subclasses": False}),
]


@pytest.mark.parametrize("name,inputs,kwargs", AC, ids=[c[0] for c in AC])
def test_assert_close(name, inputs, kwargs):
    same(lambda L: L.testing.assert_close(*inputs(L), **kwargs))


ALLCLOSE = [
    ("equal", lambda L: (L.tensor([1.]), L.tensor([1.]))),
    ("looser_float32", lambda L: (L.tensor([1.]), L.tensor([1.00005]))),
    ("mismatch", lambda L: (L.tensor([1.]), L.tensor([2.]))),
    ("shape", lambda L: (L.tensor([1.]), 1)),
    ("list_vs_tensor", lambda L: ([1., 2.], L.tensor([1., 2.], dtype=L.float64))),
    ("nan_equal", lambda L: (L.tensor([math.nan]), L.tensor([math.nan]))),
]


@pytest.mark.parametrize("name,inputs", ALLCLOSE, ids=[c[0] for c in ALLCLOSE])
def test_assert_allclose(name, inputs):
    same(lambda L: L.testing.assert_allclose(*inputs(L)))


def _make(L, *shape, seed=0, **kwargs):
    L.manual_seed(seed)
    kwargs["dtype"] = getattr(L, kwargs["dtype"])
    return L.testing.make_tensor(*shape, device="cpu", **kwargs)


MAKE = [
    ((2, 3), {"dtype": "float32"}),
    (((4, 5),), {"dtype": "float64"}),
    ((7,), {"dtype": "float32", "low": -1, "high": 0.5}),
    ((3, 4), {"dtype": "int64"}),
    ((3, 4), {"dtype": "int32", "low": 2}),
    ((5,), {"dtype": "uint8"}),
    ((6,), {"dtype": "int8", "low": -300, "high": 300}),
    ((6,), {"dtype": "bool"}),
    ((3, 4), {"dtype": "float32", "noncontiguous": True}),
    ((20,), {"dtype": "int64", "low": 0, "high": 2, "exclude_zero": True}),
    ((3,), {"dtype": "float32", "requires_grad": True}),
    ((3,), {"dtype": "int64", "requires_grad": True}),
    ((3,), {"dtype": "float32", "low": 2, "high": 1}),
    ((3,), {"dtype": "float32", "low": math.nan}),
    ((3,), {"dtype": "uint8", "low": -5, "high": -1}),
    ((3,), {"dtype": "float32", "low": 1, "high": 1}),
    ((2,), {"dtype": "float16"}),
]


@pytest.mark.parametrize("shape,kwargs", MAKE, ids=[str(i) for i in range(len(MAKE))])
def test_make_tensor(shape, kwargs):
    same(lambda L: _make(L, *shape, **kwargs), rtol=0, atol=0)
    same(lambda L: _make(L, *shape, **kwargs).requires_grad)
    if "error" != run(lambda L: _make(L, *shape, **kwargs), torch)[0][0]:
        same(lambda L: _make(L, *shape, **kwargs).is_contiguous())


# ------------------------------------------------------------------ compile
class _Net:
    @staticmethod
    def make(L):
        L.manual_seed(0)
        return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))


def _x(L):
    return L.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))


COMPILE = [
    ("module_output", lambda L: L.compile(_Net.make(L), backend="eager")(_x(L))),
    ("module_default_backend", lambda L: L.compile(_Net.make(L))(_x(L))),
    ("state_dict_keys", lambda L: list(L.compile(_Net.make(L), backend="eager").state_dict())),
    ("named_parameters", lambda L: [n for n, _ in
                                    L.compile(_Net.make(L), backend="eager").named_parameters()]),
    ("orig_mod", lambda L: (lambda m: L.compile(m, backend="eager")._orig_mod is m)(
        _Net.make(L))),
    ("attribute_forwarded", lambda L: (lambda m: L.compile(m, backend="eager")[0] is m[0])(
        _Net.make(L))),
    ("type_name", lambda L: type(L.compile(_Net.make(L), backend="eager")).__name__),
    ("is_module", lambda L: isinstance(L.compile(_Net.make(L), backend="eager"), L.nn.Module)),
    ("eval_propagates", lambda L: (lambda c: (c.eval(), c._orig_mod.training)[1])(
        L.compile(_Net.make(L), backend="eager"))),
    ("function", lambda L: L.compile(lambda x: x * 2 + 1, backend="eager")(_x(L))),
    ("decorator_no_args", lambda L: L.compile(lambda x: x.sin())(_x(L))),
    ("decorator_args", lambda L: L.compile(backend="eager", fullgraph=True)(
        lambda x: x.exp())(_x(L))),
    ("disable", lambda L: (lambda m: L.compile(m, disable=True) is m)(_Net.make(L))),
    ("mode_and_options", lambda L: L.compile(_Net.make(L), mode="default", options={})),
    ("bad_mode", lambda L: L.compile(_Net.make(L), mode="bogus")),
    ("bad_backend", lambda L: L.compile(_Net.make(L), backend="nonexistent")),
    ("not_callable", lambda L: L.compile(5)),
    ("decorator_mode_and_options", lambda L: callable(L.compile(mode="max-autotune",
                                                                options={}))),
    ("decorator_mode_and_options_applied", lambda L: L.compile(mode="max-autotune", options={})(
        lambda x: x)),
    ("module_compile", lambda L: (lambda m: (m.compile(backend="eager"), list(m.state_dict()),
                                             type(m).__name__))(_Net.make(L))),
    ("module_compile_output", lambda L: (lambda m: (m.compile(backend="eager"), m(_x(L)))[1])(
        _Net.make(L))),
    ("module_compile_bad_mode", lambda L: _Net.make(L).compile(mode="bogus")),
    ("compiler_reset", lambda L: L.compiler.reset()),
    ("compiler_is_compiling", lambda L: L.compiler.is_compiling()),
    ("compiler_list_backends", lambda L: L.compiler.list_backends()),
    ("compiler_disable", lambda L: L.compiler.disable(lambda x: x + 1)(_x(L))),
]


@pytest.fixture
def torch_validation_kept():
    """torch.compile's first call (torch._dynamo's setup) turns torch.distributions' argument
    validation off for the whole process; later test files compare torch's validation errors
    with ours, so it is put back."""
    before = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(before)


@pytest.mark.usefixtures("torch_validation_kept")
@pytest.mark.parametrize("name,prog", COMPILE, ids=[c[0] for c in COMPILE])
def test_compile(name, prog):
    same(prog, compare_warnings=False)


def test_compile_callable_backend_refused():
    with pytest.raises(NotImplementedError):
        tg.compile(lambda x: x, backend=lambda gm, inputs: gm)


# ------------------------------------------------------------------ module paths, autograd names
NAMES = [
    ("parameter_classes", lambda L: [getattr(L.nn.parameter, n) is getattr(L.nn, n)
                                     for n in ("Parameter", "Buffer", "UninitializedParameter",
                                               "UninitializedBuffer")]),
    ("is_lazy", lambda L: [L.nn.parameter.is_lazy(L.nn.parameter.UninitializedParameter()),
                           L.nn.parameter.is_lazy(L.nn.Parameter(L.ones(2)))]),
    ("removable_handle", lambda L: isinstance(
        L.nn.Linear(2, 2).register_forward_hook(lambda *a: None),
        L.utils.hooks.RemovableHandle)),
    ("unserializable_hook", lambda L: L.utils.hooks.unserializable_hook(
        lambda g: g).__torch_unserializable__),
    ("warn_if_has_hooks", lambda L: (lambda t: (t.register_hook(lambda g: g),
                                                L.utils.hooks.warn_if_has_hooks(t))[1])(
        L.ones(2, requires_grad=True))),
    ("warn_if_has_hooks_marked", lambda L: (lambda t: (
        t.register_hook(L.utils.hooks.unserializable_hook(lambda g: g)),
        L.utils.hooks.warn_if_has_hooks(t))[1])(L.ones(2, requires_grad=True))),
    ("variable", lambda L: L.autograd.Variable(L.tensor([1., 2]))),
    ("variable_requires_grad", lambda L: L.autograd.Variable(L.tensor([1., 2]),
                                                             requires_grad=True).requires_grad),
    ("variable_positional", lambda L: (lambda v: (v.requires_grad, v.is_leaf))(
        L.autograd.Variable(L.tensor([1., 2]), True))),
    ("variable_of_nonleaf", lambda L: (lambda v: (v.requires_grad, v.is_leaf, v.grad_fn is None))(
        L.autograd.Variable(L.tensor([1., 2], requires_grad=True) * 2))),
    ("variable_shares", lambda L: (lambda x: (L.autograd.Variable(x).mul_(3), x)[1])(
        L.tensor([1., 2]))),
    ("variable_empty", lambda L: L.autograd.Variable()),
    ("variable_isinstance", lambda L: isinstance(L.ones(2), L.autograd.Variable)),
    ("variable_volatile", lambda L: L.autograd.Variable(L.ones(2), volatile=True).requires_grad),
    ("variable_list", lambda L: L.autograd.Variable([1., 2.])),
    ("variable_bad_kwarg", lambda L: L.autograd.Variable(L.ones(2), foo=1)),
    ("variable_function", lambda L: L.autograd.variable(L.ones(2))),
    ("inference_mode", lambda L: L.autograd.inference_mode is L.inference_mode),
    ("warn_always_default", lambda L: L.is_warn_always_enabled()),
    ("warn_always_not_bool", lambda L: L.set_warn_always(1)),
    ("flush_denormal_not_bool", lambda L: L.set_flush_denormal(1)),
    ("init_num_threads", lambda L: L.init_num_threads()),
    ("has_lapack", lambda L: L.has_lapack),
    ("has_spectral", lambda L: L.has_spectral),
]


@pytest.mark.parametrize("name,prog", NAMES, ids=[c[0] for c in NAMES])
def test_names(name, prog):
    same(prog)


def test_warn_always_repeats_cross_warning():
    def prog(L):
        L.set_warn_always(True)
        try:
            for _ in range(2):
                L.cross(L.ones(3, 3), L.ones(3, 3))
        finally:
            L.set_warn_always(False)
    same(prog)


def test_build_flags_truthful():
    # NumPy's LAPACK and FFT back linalg and fft; no MKL or OpenMP of ours; NumPy cannot
    # flush subnormals, so set_flush_denormal changes nothing and says False
    assert (tg.has_lapack, tg.has_spectral, tg.has_mkl, tg.has_openmp) == (True, True, False,
                                                                          False)
    assert tg.set_flush_denormal(True) is False and tg.set_flush_denormal(False) is False
    assert np.float32(1e-40) != 0


INTEROP = ["print(L.get_num_interop_threads() >= 1)",
           "L.set_num_interop_threads(3); print(L.get_num_interop_threads())",
           "L.set_num_interop_threads(3); L.set_num_interop_threads(2)",
           "L.set_num_interop_threads(0)",
           "L.set_num_interop_threads(1.5)",
           "L.set_num_interop_threads(True)",
           "(L.ones(2) + 1).sum(); L.set_num_interop_threads(2); print(L.get_num_interop_threads())"]


@pytest.mark.parametrize("program", INTEROP)
def test_interop_threads(program):
    # once per process: each program runs in a fresh interpreter, on torch and on us
    def outcome(lib):
        code = (f"import {lib} as L\ntry:\n    {program}\nexcept Exception as e:\n"
                f"    print(type(e).__name__, e)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120).stdout
    assert outcome("tinygrad_sgd") == outcome("torch")


INIT = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
        "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]
INIT_ARGS = {"constant": (0.5,), "sparse": (0.5,)}
INIT_SHAPE = {"dirac": (2, 2, 3)}


@pytest.mark.parametrize("name", INIT)
def test_init_deprecated_names(name):
    def prog(L):
        L.manual_seed(0)
        t = L.empty(*INIT_SHAPE.get(name, (3, 4)))
        return getattr(L.nn.init, name)(t, *INIT_ARGS.get(name, ()))
    same(prog, rtol=1e-6, atol=1e-6)
    assert getattr(tg.nn.init, name).__name__ == name


# ------------------------------------------------------------------ sdpa_kernel
def _qkv(L, q=(1, 2, 3, 4), k=None, v=None, dtype="float32"):
    rng = np.random.default_rng(0)
    shapes = (q, k or q, v or k or q)
    return [L.tensor(rng.standard_normal(s).astype(dtype)) for s in shapes]


def _sdpa(backends, make=_qkv, **kwargs):
    def prog(L):
        A = torch_attention if L is torch else tg_attention
        chosen = ([getattr(A.SDPBackend, b) for b in backends] if isinstance(backends, list)
                  else getattr(A.SDPBackend, backends) if backends.isupper() else backends)
        with A.sdpa_kernel(chosen):
            return L.nn.functional.scaled_dot_product_attention(*make(L), **kwargs)
    return prog


SDPA = [
    ("math", _sdpa("MATH")),
    ("flash_4d", _sdpa("FLASH_ATTENTION")),
    ("flash_list", _sdpa(["FLASH_ATTENTION"])),
    ("flash_causal", _sdpa(["FLASH_ATTENTION"], is_causal=True)),
    ("flash_3d", _sdpa(["FLASH_ATTENTION"], make=lambda L: _qkv(L, (2, 3, 4)))),
    ("flash_2d", _sdpa(["FLASH_ATTENTION"], make=lambda L: _qkv(L, (3, 4)))),
    ("flash_dropout", _sdpa(["FLASH_ATTENTION"], dropout_p=0.5)),
    ("flash_value_dim", _sdpa(["FLASH_ATTENTION"],
                              make=lambda L: _qkv(L, (1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 5)))),
    ("flash_batch", _sdpa(["FLASH_ATTENTION"],
                          make=lambda L: _qkv(L, (1, 2, 3, 4), (2, 2, 3, 4)))),
    ("flash_float64", _sdpa(["FLASH_ATTENTION"], make=lambda L: _qkv(L, dtype="float64"))),
    ("math_3d_dropout0", _sdpa(["MATH", "FLASH_ATTENTION"], make=lambda L: _qkv(L, (2, 3, 4)))),
    ("efficient", _sdpa("EFFICIENT_ATTENTION")),
    ("cudnn", _sdpa(["CUDNN_ATTENTION"])),
    ("overrideable", _sdpa("OVERRIDEABLE")),
    ("empty_list", _sdpa([])),
    ("string", _sdpa("math")),
]


@pytest.mark.parametrize("name,prog", SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_kernel(name, prog):
    same(prog, rtol=1e-5, atol=1e-6)


def test_sdpa_kernel_restores():
    def prog(L):
        A = torch_attention if L is torch else tg_attention
        with A.sdpa_kernel(A.SDPBackend.EFFICIENT_ATTENTION):
            pass
        return L.nn.functional.scaled_dot_product_attention(*_qkv(L, (2, 3, 4)))
    same(prog, rtol=1e-5, atol=1e-6)


def test_sdp_backend_values():
    assert ([(b.name, int(b.value)) for b in tg_attention.SDPBackend]
            == [(n, int(v.value)) for n, v in torch_attention.SDPBackend.__members__.items()])
    assert repr(tg_attention.SDPBackend.MATH) == repr(torch_attention.SDPBackend.MATH)


def test_multihead_attention_need_weights_ignores_kernel_choice():
    # torch's MultiheadAttention with need_weights=True does not call the SDPA kernels
    def prog(L):
        A = torch_attention if L is torch else tg_attention
        L.manual_seed(0)
        mha = L.nn.MultiheadAttention(4, 2)
        x = _qkv(L, (3, 1, 4))[0]
        with A.sdpa_kernel(A.SDPBackend.EFFICIENT_ATTENTION):
            return mha(x, x, x)[0]
    same(prog, rtol=1e-5, atol=1e-6)


def test_nn_attention_keeps_old_imports():
    from tinygrad_sgd.nn.attention import MultiheadAttention
    from tinygrad_sgd.nn.modules.activation import MultiheadAttention as M2
    assert MultiheadAttention is tg.nn.MultiheadAttention is M2
    assert re.fullmatch(r"MultiheadAttention\(.*", repr(tg.nn.MultiheadAttention(4, 2)),
                        re.S)
