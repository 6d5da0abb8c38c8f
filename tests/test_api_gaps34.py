"""torch 2.13 names (Tensor attributes, set_, the native_* and cell functions, cond/while_loop,
removed names, segment_reduce, ...), each row run on torch and on tinygrad_sgd (``L``) and
compared: values, dtypes, gradients (via backward), warnings, or the error's class and message."""
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import as_torch
from test_api_names import run


@pytest.fixture(autouse=True, scope="module")
def _torch_distribution_checks_kept():
    """torch.cond / while_loop import torch's compiler, which turns off the distributions'
    argument checks for the whole process (Distribution.set_default_validate_args(False)):
    put them back for the tests that compare those errors."""
    validate = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(validate)


def plain(x):
    """Tensors as arrays (with their dtype), tuples/lists item by item, dtypes by name."""
    if isinstance(x, (torch.Tensor, tg.Tensor)):
        return np.asarray(x.detach().numpy())
    if isinstance(x, (tuple, list)):
        return [plain(v) for v in x]
    if isinstance(x, (torch.dtype, tg.DType)):
        return str(x).split(".")[-1]
    return x


def check(a, b):
    if isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b), (a, b)
        for u, v in zip(a, b):
            check(u, v)
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (a, b)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:
        assert a == b and type(a) is type(b), (a, b)


def same(fn, warn=True):
    theirs, their_warnings = run(fn, torch)
    ours, our_warnings = run(fn, tg)
    if theirs[0] == "error":
        assert ours[0] == "error", f"torch raised {theirs[1].__name__}: {theirs[2]}; we {ours}"
        assert theirs[1].__name__ in [c.__name__ for c in ours[1].__mro__], (ours, theirs)
        assert ours[2].replace("tinygrad_sgd", "torch") == theirs[2], (ours[2], theirs[2])
    else:
        assert ours[0] == "ok", f"we raised {ours[1].__name__}: {ours[2]}"
        check(plain(ours[1]), plain(theirs[1]))
    if warn:
        assert [(c, m.replace("tinygrad_sgd", "torch")) for c, m in our_warnings] == \
            their_warnings, (our_warnings, their_warnings)


def quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def grads(f, *arrays):
    """f's outputs (summed) backward: the outputs and the inputs' gradients."""
    def g(L):
        xs = [L.tensor(a, requires_grad=True) for a in arrays]
        out = f(L, *xs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = sum((o * (1 + k)).sum() for k, o in enumerate(outs)
                    if o.requires_grad)
        total.backward()
        return list(outs) + [x.grad for x in xs]
    return g


R = np.random.default_rng(0)
X = R.standard_normal((3, 4, 2))
W, H, C = R.standard_normal((5, 4)), R.standard_normal((3, 6)), R.standard_normal((3, 6))
WIH, WHH, B = R.standard_normal((24, 5)), R.standard_normal((24, 6)), R.standard_normal(24)
K1, K2 = R.standard_normal((5, 4, 2)), R.standard_normal((4, 3, 2))
LP = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=(6, 2)))

ATTRS = [
    *[(n, lambda L, n=n: getattr(L.ones(2, requires_grad=True), n)) for n in
      ("is_meta", "is_mps", "is_xpu", "is_ipu", "is_xla", "is_vulkan", "is_mtia", "is_maia",
       "is_nested", "is_quantized", "is_mkldnn")],
    ("output_nr_leaf", lambda L: L.ones(2, requires_grad=True).output_nr),
    ("output_nr_unbind", lambda L: [t.output_nr for t in
                                    L.ones(3, 2, requires_grad=True).unbind(0)]),
    ("output_nr_split", lambda L: [t.output_nr for t in L.ones(5, requires_grad=True).split(2)]),
    ("output_nr_no_grad", lambda L: [t.output_nr for t in L.ones(3).unbind(0)]),
    ("output_nr_views", lambda L: (lambda x: [[t.output_nr for t in x.chunk(2)],
                                              [t.output_nr for t in x.tensor_split(2)]])(
        L.ones(4, requires_grad=True))),
    ("output_nr_max", lambda L: [t.output_nr for t in L.ones(3, requires_grad=True).max(0)]),
    ("volatile", lambda L: L.ones(2).volatile),
    ("volatile_set", lambda L: setattr(L.ones(2), "volatile", True)),
    ("reinforce", lambda L: L.ones(2).reinforce(1.0)),
    ("const_data_ptr", lambda L: (lambda t: t.const_data_ptr() == t.data_ptr())(L.ones(3)[1:])),
    ("dim_order", lambda L: L.ones(2, 3, 4).dim_order()),
    ("dim_order_t", lambda L: L.ones(2, 3, 4).permute(2, 0, 1).dim_order()),
    ("dim_order_cl", lambda L: L.ones(2, 3, 4, 5).contiguous(
        memory_format=L.channels_last).dim_order()),
    ("dim_order_ambiguous", lambda L: L.ones(1, 3).dim_order(ambiguity_check=True)),
    ("dim_order_formats", lambda L: L.ones(1, 2, 3, 4).dim_order(
        ambiguity_check=[L.contiguous_format, L.channels_last])),
    ("dim_order_bad", lambda L: L.ones(2).dim_order(ambiguity_check="x")),
    ("dim_order_0d", lambda L: L.tensor(1.).dim_order()),
    ("module_load", lambda L: (lambda p: [p.module_load(L.ones(3)), p])(L.zeros(3))),
    ("module_load_assign", lambda L: (lambda p: [p.module_load(L.ones(3), assign=True), p])(
        L.zeros(3))),
    ("grad_dtype", lambda L: L.ones(2, requires_grad=True).grad_dtype),
    ("grad_dtype_no_grad", lambda L: L.ones(2, dtype=L.float64).grad_dtype),
    ("grad_dtype_non_leaf", lambda L: (L.ones(2, requires_grad=True) * 2).grad_dtype),
    ("grad_dtype_set_non_leaf", lambda L: quiet(setattr, L.ones(2, requires_grad=True) * 2,
                                                "grad_dtype", L.float64)),
    ("grad_dtype_bad", lambda L: setattr(L.ones(2, requires_grad=True), "grad_dtype", "x")),
    ("grad_dtype_none", lambda L: (lambda x: (setattr(x, "grad_dtype", None), x.grad_dtype))(
        L.ones(2, requires_grad=True))),
    ("storage_type", lambda L: [L.ones(2, dtype=d).storage_type().__name__
                                for d in (L.float32, L.float64, L.int64, L.uint8, L.bool)]),
    ("resize_as_top", lambda L: L.resize_as_(L.zeros(2), L.ones(2, 3)).shape),
    ("resize_as_top_grad", lambda L: L.resize_as_(L.zeros(2, requires_grad=True), L.ones(3))),
]


@pytest.mark.parametrize("name,fn", ATTRS, ids=[a[0] for a in ATTRS])
def test_attributes(name, fn):
    same(fn, warn=not name.startswith("storage_type"))


def test_device_flags_are_read_only():
    for L in (torch, tg):
        with pytest.raises(AttributeError):
            L.ones(2).is_meta = True


def torch_raises(code, error, match):
    """``code`` (a statement using ``torch``) raises ``error`` matching ``match`` in real
    torch — run in a child process: once torch.cond / while_loop have failed inside torch's
    compiler, torch leaves its frame evaluator installed for the whole process, and every
    Python call then holds one more reference to its arguments (which the library's buffer
    pool counts, tests/test_kernel_buffers.py)."""
    check = (f"import re, torch\ntry:\n    {code}\nexcept {error} as e:\n"
             f"    assert re.search({match!r}, str(e)), str(e)\nelse:\n    raise SystemExit(3)\n")
    subprocess.run([sys.executable, "-c", check], check=True, capture_output=True)


ALIASING = ["lambda a: a", "lambda a: a[0]", "lambda a: (a + 1, a.view(2))"]


@pytest.mark.parametrize("branch", ALIASING)
def test_cond_and_while_loop_refuse_aliasing(branch):
    match = "Encountered aliasing during higher order op"
    torch_raises(f"torch.cond(torch.tensor(True), {branch}, {branch}, (torch.ones(2),))",
                 "RuntimeError", match)
    torch_raises("torch.while_loop(lambda i: i < 3, lambda i: i, (torch.tensor(0),))",
                 "RuntimeError", match)
    with pytest.raises(RuntimeError, match=match):
        tg.cond(tg.tensor(True), eval(branch), eval(branch), (tg.ones(2),))
    with pytest.raises(RuntimeError, match=match):
        tg.while_loop(lambda i: i < 3, lambda i: i, (tg.tensor(0),))


def test_output_nr_of_a_custom_function():
    found = []
    for L in (torch, tg):
        class Two(L.autograd.Function):
            forward = staticmethod(lambda ctx, x: (x * 2, x * 3))
            backward = staticmethod(lambda ctx, a, b: a * 2 + b * 3)
        found.append([t.output_nr for t in Two.apply(L.ones(2, requires_grad=True))])
    assert found[0] == found[1] == [0, 1]


def test_grad_dtype_casts_the_gradient_and_guards_it():
    for L in (torch, tg):
        x = L.ones(3, requires_grad=True)
        x.grad_dtype = L.float64
        (x * 2).sum().backward()
        assert x.grad.dtype == L.float64 and x.grad.tolist() == [2.0] * 3
        assert L.autograd.grad((x * 3).sum(), x)[0].dtype == L.float64
        w = L.ones(3, requires_grad=True)
        w.grad_dtype = None                      # any dtype may now be assigned
        w.grad = L.ones(3, dtype=L.float64)
        assert w.grad.dtype == L.float64
    same(lambda L: (lambda x: (setattr(x, "grad_dtype", L.float64), (x * 2).sum().backward(),
                               setattr(x, "grad_dtype", L.int64)))(L.ones(3, requires_grad=True)))


def test_storage_type_is_the_class_of_the_storage():
    assert isinstance(tg.ones(2).storage(), tg.ones(2).storage_type())
    assert not isinstance(tg.ones(2, dtype=tg.int64).storage(), tg.ones(2).storage_type())


SETS = {
    "tensor": lambda L, a, z: z.set_(a),
    "empty": lambda L, a, z: z.set_(),
    "storage": lambda L, a, z: z.set_(a.untyped_storage(), 1, (2, 2), (1, 2)),
    "storage_default_stride": lambda L, a, z: z.set_(a.untyped_storage(), 1, (2, 2)),
    "typed_storage": lambda L, a, z: z.set_(quiet(a.storage), 2, [2]),
    "tensor_offset": lambda L, a, z: z.set_(a, 1, (2,), (2,)),
    "whole_storage": lambda L, a, z: z.set_(a.untyped_storage()),
    "bytes_of_double": lambda L, a, z: z.set_(L.ones(2, dtype=L.float64).untyped_storage()),
    "other_dtype": lambda L, a, z: z.set_(L.arange(3)),
    "other_typed_storage": lambda L, a, z: z.set_(quiet(L.ones(2, dtype=L.float64).storage)),
    "leaf": lambda L, a, z: L.zeros(2, requires_grad=True).set_(a),
}


def _set(L, how):
    a, z = L.arange(6.), L.zeros(3)
    SETS[how](L, a, z)
    if z.numel():
        z[0] = 100.0
    return [z, z.shape, z.stride(), z.storage_offset(), a]


SET = list(SETS)


@pytest.mark.parametrize("how", SET)
def test_set_(how):
    same(lambda L: _set(L, how), warn=False)


def test_set_in_a_graph_has_no_derivative():
    for L in (torch, tg):
        h = L.zeros(2, requires_grad=True) * 1
        h.set_(L.ones(3, requires_grad=True))
        assert h.requires_grad and not h.is_leaf and h.tolist() == [1.0] * 3
        with pytest.raises(RuntimeError, match="derivative for set_ is not implemented"):
            h.sum().backward()


def _cell(name, x, h, wi, wh):
    """A cell called on ones of these shapes (a list of shapes: a tuple of states)."""
    return lambda L: getattr(L, name)(L.ones(*x), tuple(L.ones(*s) for s in h) if isinstance(
        h, list) else L.ones(*h), L.ones(*wi), L.ones(*wh))


NN = [
    ("conv1d", lambda L: grads(lambda L, x, w: L.convolution(
        x, w, None, [1], [1], [1], False, [0], 1), X, K1)(L)),
    ("conv2d_one_number", lambda L: L.convolution(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2), None,
                                                  [2], [0], [1], False, [0], 1)),
    ("conv_transpose1d", lambda L: grads(lambda L, x, w, b: L.convolution(
        x, w, b, [2], [1], [1], True, [1], 1), X[:, :4], K2, np.ones(3))(L)),
    ("conv_stride_int", lambda L: L.convolution(L.ones(1, 2, 5), L.ones(3, 2, 2), None, 1, [0],
                                                [1], False, [0], 1)),
    ("conv_dims", lambda L: L.convolution(L.ones(2, 5, 5), L.ones(3, 2, 2, 2), None, [1, 1],
                                          [0, 0], [1, 1], False, [0, 0], 1)),
    ("layer_norm", lambda L: grads(lambda L, x, w: L.native_layer_norm(
        x, (4, 2), w, None, 1e-5), X, np.ones((4, 2)) * 1.5)(L)),
    ("layer_norm_empty", lambda L: L.native_layer_norm(L.ones(2), [], None, None, 1e-5)),
    ("layer_norm_shape", lambda L: L.native_layer_norm(L.ones(2, 3), [2], None, None, 1e-5)),
    ("batch_norm_train", lambda L: (lambda rm, rv: [*grads(
        lambda L, x, w, b: L.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5),
        X, np.ones(4) * 2, np.zeros(4))(L), rm, rv])(L.zeros(4, dtype=L.float64),
                                                      L.ones(4, dtype=L.float64))),
    ("batch_norm_eval", lambda L: grads(lambda L, x: L.native_batch_norm(
        x, None, None, L.zeros(4, dtype=L.float64) + 0.5, L.ones(4, dtype=L.float64) * 2,
        False, 0.1, 1e-5), X)(L)),
    ("group_norm", lambda L: grads(lambda L, x, w: L.native_group_norm(
        x, w, None, 3, 4, 2, 2, 1e-5), X, np.arange(4.0))(L)),
    *[(f"group_norm_{k}", lambda L, a=a: L.native_group_norm(L.ones(3, 4, 2), None, None, 3, 4,
                                                            *a, 1e-5))
      for k, a in (("numel", (3, 2)), ("groups", (2, 3)))],
    ("dropout_eval", lambda L: grads(lambda L, x: L.native_dropout(x, 0.4, False), X)(L)),
    ("dropout_train", lambda L: (L.manual_seed(3), grads(lambda L, x: L.native_dropout(
        x, 0.4, True), X)(L))[1]),
    ("dropout_none_trains", lambda L: (L.manual_seed(3), L.native_dropout(L.ones(9), .5, None))[1]),
    ("dropout_int", lambda L: L.native_dropout(L.ones(2, dtype=L.int64), 0.5, True)),
    ("dropout_p", lambda L: L.native_dropout(L.ones(2), 1.5, True)),
    ("channel_shuffle", lambda L: L.native_channel_shuffle(L.tensor(X), 2)),
    ("channel_shuffle_no_derivative", lambda L: grads(lambda L, x: L.native_channel_shuffle(
        x, 2), X)(L)),
    ("channel_shuffle_groups", lambda L: L.native_channel_shuffle(L.ones(2, 4, 3), 3)),
    ("feature_dropout_", lambda L: (lambda x: (L.manual_seed(0), L.feature_dropout_(x, 0.5,
                                                                                    True) is x,
                                               x))(L.ones(3, 4, 2))[1:]),
    ("rnn_tanh_cell", lambda L: grads(lambda L, x, h, wi, wh, b: L.rnn_tanh_cell(
        x, h, wi, wh, b, None), W[:3], H, WIH[:6], WHH[:6], B[:6])(L)),
    ("rnn_relu_cell", lambda L: grads(lambda L, x, h, wi, wh: L.rnn_relu_cell(x, h, wi, wh),
                                      W[:3], H, WIH[:6], WHH[:6])(L)),
    ("lstm_cell", lambda L: grads(lambda L, x, h, c, wi, wh, b: L.lstm_cell(
        x, (h, c), wi, wh, b, b), W[:3], H, C, WIH, WHH, B)(L)),
    ("gru_cell", lambda L: grads(lambda L, x, h, wi, wh, b: L.gru_cell(x, h, wi, wh, b, b),
                                 W[:3], H, WIH[:18], WHH[:18], B[:18])(L)),
    ("lstm_cell_one_state", _cell("lstm_cell", (3, 5), [(3, 6)], (24, 5), (24, 6))),
    ("lstm_cell_not_tuple", _cell("lstm_cell", (3, 5), (3, 6), (24, 5), (24, 6))),
    ("lstm_cell_weight", _cell("lstm_cell", (3, 5), [(3, 6), (3, 6)], (23, 5), (24, 6))),
    ("gru_cell_input", _cell("gru_cell", (3, 4), (3, 6), (18, 5), (18, 6))),
    ("gru_cell_tuple", _cell("gru_cell", (3, 5), [(3, 6)], (18, 5), (18, 6))),
    ("rnn_cell_batch", _cell("rnn_tanh_cell", (3, 5), (2, 6), (6, 5), (6, 6))),
    ("rnn_cell_hidden", _cell("rnn_tanh_cell", (3, 5), (3, 5), (6, 5), (6, 6))),
    ("rnn_cell_1d", _cell("rnn_relu_cell", (5,), (6,), (6, 5), (6, 6))),
    *[(f"ctc_loss_{r}", lambda L, r=r: grads(lambda L, lp: L.ctc_loss(
        lp, L.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2], *r), LP)(L))
      for r in [(), (0, 0), (0, 1), (0, 2), (0, 1, True)]],
]


@pytest.mark.parametrize("name,fn", NN, ids=[a[0] for a in NN])
def test_nn_functions(name, fn):
    same(fn)


FLOW = [
    ("cond_true", lambda L: grads(lambda L, x: L.cond(x.sum() > 0, lambda a: a * 3,
                                                      lambda a: a - 1, (x,)), np.ones(2))(L)),
    ("cond_false", lambda L: grads(lambda L, x: L.cond(x.sum() < 0, lambda a: a * 3,
                                                       lambda a: a - 1, [x]), np.ones(2))(L)),
    ("cond_number", lambda L: L.cond(0.0, lambda: 1, lambda: 2)),
    ("cond_ints", lambda L: L.cond(True, lambda a: a + 1, lambda a: a, (1,))),
    ("cond_pred_shape", lambda L: L.cond(L.ones(2) > 0, lambda: 1, lambda: 2)),
    ("cond_pred_type", lambda L: L.cond("a", lambda: 1, lambda: 2)),
    ("cond_operands", lambda L: L.cond(L.tensor(True), lambda a: a, lambda a: a, (1,))),
    ("cond_callable", lambda L: L.cond(L.tensor(True), 1, lambda: 2)),
    ("while_loop", lambda L: grads(lambda L, x: L.while_loop(
        lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (L.tensor(0), x))[1], np.ones(2))(L)),
    ("while_single", lambda L: L.while_loop(lambda i: i < 3, lambda i: i + 1, (L.tensor(0),))),
    ("while_loop_ints", lambda L: L.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))),
    ("while_loop_never", lambda L: L.while_loop(lambda i: i > 3, lambda i: (i + 1,),
                                                [L.tensor(0)])),
    ("while_loop_callable", lambda L: L.while_loop(1, lambda i: (i + 1,), (L.tensor(0),))),
]


@pytest.mark.parametrize("name,fn", FLOW, ids=[a[0] for a in FLOW])
def test_control_flow(name, fn):
    same(fn)


def test_while_loop_refuses_a_changed_dtype():
    torch_raises("torch.while_loop(lambda i: i < 3, lambda i: (i + 1.0,), (torch.tensor(0),))",
                 "RuntimeError", "same metadata")
    with pytest.raises(RuntimeError, match="same metadata"):
        tg.while_loop(lambda i: i < 3, lambda i: (i + 1.0,), (tg.tensor(0),))


MISC = [
    ("matrix_rank", lambda L: L.matrix_rank(L.eye(2))),
    ("lstsq", lambda L: L.lstsq(L.eye(2), L.eye(2))),
    ("solve", lambda L: L.solve(L.eye(2), L.eye(2))),
    ("eig", lambda L: L.eig(L.eye(2))),
    ("symeig", lambda L: L.symeig(L.eye(2), True)),
    ("solve_method", lambda L: L.eye(2).solve(L.eye(2))),
    ("eig_method", lambda L: L.eye(2).eig()),
    ("matrix_rank_args", lambda L: L.matrix_rank()),
    ("is_distributed", lambda L: L.is_distributed(L.ones(2))),
    ("is_distributed_type", lambda L: L.is_distributed(1)),
    ("device_module", lambda L: L.get_device_module() is L.cpu),
    ("device_module_cpu", lambda L: L.get_device_module(L.device("cpu")) is L.cpu),
    ("device_module_cuda", lambda L: L.get_device_module("cuda") is L.cuda),
    ("device_module_bad", lambda L: L.get_device_module(1)),
    ("device_module_meta", lambda L: L.get_device_module("meta")),
    ("thread_safe_generator", lambda L: L.thread_safe_generator()),
]


@pytest.mark.parametrize("name,fn", MISC, ids=[a[0] for a in MISC])
def test_misc(name, fn):
    same(fn)


def test_set_default_tensor_type():
    for L in (torch, tg):
        before = L.get_default_dtype()
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                L.set_default_tensor_type(L.DoubleTensor)
            assert L.tensor([1.5]).dtype == L.float64
            L.set_default_tensor_type("torch.FloatTensor")
            assert L.get_default_dtype() == L.float32
            with pytest.raises(TypeError, match=re.escape(
                    "only floating-point types are supported as the default type")):
                L.set_default_tensor_type(L.LongTensor)
            with pytest.raises(TypeError, match="^invalid type object"):
                L.set_default_tensor_type(L.float64)
        finally:
            L.set_default_dtype(before)


def test_the_deprecation_warning_is_torchs(tmp_path, capsys):
    """Once per process, as torch's TORCH_WARN_ONCE; and torch programs find the new names."""
    tg.legacy_types._warned_default_type = False          # (as in a fresh process)
    script = tmp_path / "prog.py"
    script.write_text(
        "import warnings, torch\nwarnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    torch.set_default_tensor_type(torch.DoubleTensor)\n"
        "    torch.set_default_tensor_type(torch.FloatTensor)\n"
        "print(len(w), str(w[0].message).split(' (Triggered')[0])\n"
        "x = torch.randn(3, 4)\n"
        "print(torch.native_layer_norm(x, (4,), None, None, 1e-5)[2].shape, x.is_meta,\n"
        "      torch.cond(torch.tensor(True), lambda a: a + 1, lambda a: a, (torch.ones(1),)))\n")
    as_torch.run_script(str(script), [])
    ours = capsys.readouterr().out
    assert ours.splitlines()[0] == ("1 torch.set_default_tensor_type() is deprecated as of "
                                    "PyTorch 2.1, please use torch.set_default_dtype() and "
                                    "torch.set_default_device() as alternatives.")
    assert ours.splitlines()[1:] == ["torch.Size([3, 1]) False tensor([2.])"]


D, D0 = np.arange(1.0, 7.0), np.array([1.0, 0, 5, 2, 0, 3, 3, 1])
SEG = [
    *[(f"{r}", D, r, {"lengths": [2, 0, 3, 1]}) for r in ("sum", "mean", "max", "min", "prod",
                                                          "amax", "amin")],
    *[(f"{r}_initial", D, r, {"lengths": [2, 0, 3, 1], "initial": 3.5})
      for r in ("sum", "mean", "max", "min", "prod")],
    ("prod_zeros", D0, "prod", {"lengths": [3, 2, 3]}),
    ("prod_zeros_initial", D0, "prod", {"lengths": [3, 2, 3], "initial": 2.0}),
    ("max_ties", np.array([1.0, 5, 5, 2, 3, 3]), "max", {"lengths": [4, 2], "initial": 5.0}),
    ("offsets", D, "sum", {"offsets": [1, 2, 6]}),
    ("offsets_short", D, "mean", {"offsets": [0, 2, 5]}),
    ("rows", D.reshape(3, 2), "mean", {"lengths": [2, 1]}),
    ("lengths_2d", D.reshape(2, 3), "max", {"lengths": [[1, 2], [2, 1]], "axis": 1}),
    ("offsets_2d", D.reshape(2, 3), "min", {"offsets": [[0, 1, 3], [0, 2, 3]], "axis": -1}),
    ("unsafe", D, "sum", {"lengths": [2, 2], "unsafe": True}),
    ("float32_int32", D.astype(np.float32), "sum", {"lengths": np.array([4, 2], np.int32)}),
    ("not_filled", D, "sum", {"lengths": [2, 2]}),
    ("negative", D, "sum", {"lengths": [2, -1, 5]}),
    ("offsets_back", D, "sum", {"offsets": [0, 4, 2, 6]}),
    ("indices", D, "sum", {"indices": [0, 0, 1]}),
    ("nothing", D, "sum", {}),
    ("reduce_name", D, "foo", {"lengths": [6]}),
    ("float_lengths", D, "sum", {"lengths": np.array([6.0])}),
    ("int_data", np.arange(3), "sum", {"lengths": [1, 2]}),
    ("axis", D.reshape(2, 3), "max", {"lengths": [1, 2], "axis": 1}),
    ("empty_lengths", D, "sum", {"lengths": np.array([], np.int64)}),
]


def _segments(L, data, reduce, kw):
    x = L.tensor(data, requires_grad=data.dtype.kind == "f")
    kw = {k: L.tensor(v) if k in ("lengths", "offsets", "indices") else v
          for k, v in kw.items()}
    out = L.segment_reduce(x, reduce, **kw)
    weights = L.arange(1.0, out.numel() + 1, dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return [out, x.grad]


@pytest.mark.parametrize("name,data,reduce,kw", SEG, ids=[s[0] for s in SEG])
def test_segment_reduce(name, data, reduce, kw):
    same(lambda L: _segments(L, data, reduce, kw))


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "max"])
def test_segment_reduce_second_order(reduce):
    """Here the backward is differentiable (torch's raises): checked by finite differences."""
    x = tg.tensor([[1.3, 0.5, 2.0], [-0.7, 1.1, 0.9]], dtype=tg.float64, requires_grad=True)

    def f(t):
        return tg.segment_reduce(t, reduce, lengths=tg.tensor([[1, 2], [3, 0]]), axis=1,
                                 initial=1.5)
    assert tg.gradcheck(f, [x]) and tg.gradgradcheck(f, [x])
    assert f(x).grad_fn.name() == "SegmentReduceBackward"


def test_segment_reduce_product_with_a_zero_has_no_second_derivative():
    for L in (torch, tg):
        x = L.tensor([1.0, 0.0, 3.0], dtype=L.float64, requires_grad=True)
        out = L.segment_reduce(x, "prod", lengths=L.tensor([3]))
        (g,) = L.autograd.grad(out.sum(), x, create_graph=True)
        assert g.tolist() == [0.0, 3.0, 0.0]
        with pytest.raises(RuntimeError, match="derivative for aten::_segment_reduce_backward "
                                               "is not implemented"):
            g.sum().backward()
