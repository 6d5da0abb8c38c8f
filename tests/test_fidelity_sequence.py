"""What the sequence-model programs (tests/torch_programs/word_language_model.py,
seq2seq_attention.py, nanogpt_tiny.py) needed that the library lacked, checked against torch:

* torch's typed tensor classes (``torch.LongTensor(np_array)`` in the seq2seq tutorial,
  ``torch.FloatTensor(2, 3)``, ``isinstance(x, torch.FloatTensor)``, ``x.type(torch.LongTensor)``);
* ``torch.amp.GradScaler`` / ``torch.cuda.amp.GradScaler`` (nanoGPT's training loop), enabled
  on the CPU step by step against torch, and disabled as torch disables it without CUDA.
"""
import importlib
import pickle
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd._torch_shim import torch_modules

# ------------------------------------------------------------------ typed tensor classes
# (class name, args made from the module m (torch or tinygrad_sgd), sized: values unset)
CONSTRUCTORS = [
    ("LongTensor", lambda m: ([1, 2],), False),
    ("LongTensor", lambda m: ([1.7, -2.5, 3.9],), False),          # truncated toward zero
    ("LongTensor", lambda m: (np.arange(6, dtype=np.int32).reshape(2, 3),), False),
    ("LongTensor", lambda m: (np.array([1.9, -2.1], np.float32),), False),
    ("LongTensor", lambda m: ([m.tensor(1), m.tensor(2)],), False),
    ("LongTensor", lambda m: (m.tensor(5),), False),              # a tensor of its own dtype
    ("LongTensor", lambda m: ((2, 3),), False),                   # a tuple is data, not sizes
    ("LongTensor", lambda m: ([],), False),
    ("LongTensor", lambda m: (), False),
    ("LongTensor", lambda m: (2, 3), True),
    ("LongTensor", lambda m: (np.int64(3),), True),
    ("FloatTensor", lambda m: ([1, 2],), False),
    ("FloatTensor", lambda m: (np.array([1.5, 2.25]),), False),  # float64 data → float32
    ("FloatTensor", lambda m: (m.zeros(2, 2) + 3,), False),
    ("FloatTensor", lambda m: (m.Size([2, 3]),), True),
    ("FloatTensor", lambda m: (m.Size([]),), True),
    ("FloatTensor", lambda m: (4,), True),
    ("FloatTensor", lambda m: (2, 0, 3), True),
    ("DoubleTensor", lambda m: ([[1, 2], [3, 4]],), False),
    ("HalfTensor", lambda m: ([1.5, -2.0],), False),
    ("IntTensor", lambda m: ([1, -2],), False),
    ("ShortTensor", lambda m: ([300, -2],), False),
    ("CharTensor", lambda m: ([-1, 2],), False),
    ("ByteTensor", lambda m: ([1, 255],), False),
    ("BoolTensor", lambda m: ([1, 0, 2],), False),
    ("BoolTensor", lambda m: (2,), True),
]


@pytest.mark.parametrize("name, make_args, sized", CONSTRUCTORS)
def test_typed_tensor_constructors_match_torch(name, make_args, sized):
    ours, theirs = getattr(tg, name)(*make_args(tg)), getattr(torch, name)(*make_args(torch))
    assert type(ours) is tg.Tensor
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert not ours.requires_grad
    if not sized:                               # torch leaves a sized one uninitialised
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


ERRORS = [
    ("LongTensor", lambda m: (m.zeros(2, dtype=m.int32),), {}, TypeError,
     "expected TensorOptions(dtype=long int, device=cpu, layout=Strided, requires_grad=false "
     "(default), pinned_memory=false (default), memory_format=(nullopt)) (got "
     "TensorOptions(dtype=int, device=cpu"),
    ("FloatTensor", lambda m: (m.zeros(2, dtype=m.float64),), {}, TypeError,
     "expected TensorOptions(dtype=float, device=cpu"),
    ("FloatTensor", lambda m: ([1.0],), {"requires_grad": True}, TypeError,
     "new() received an invalid combination of arguments - got (list, requires_grad=bool), "
     "but expected one of:"),
    ("FloatTensor", lambda m: ([1.0],), {"dtype": None}, TypeError,
     "new() received an invalid combination of arguments - got (list, dtype=NoneType)"),
    ("LongTensor", lambda m: (3.0,), {}, TypeError, "new(): data must be a sequence (got float)"),
    ("LongTensor", lambda m: (True,), {}, TypeError, "new(): data must be a sequence (got bool)"),
    ("FloatTensor", lambda m: (None,), {}, TypeError,
     "new(): data must be a sequence (got NoneType)"),
    ("FloatTensor", lambda m: ("ab",), {}, TypeError, "new(): invalid data type 'str'"),
    ("FloatTensor", lambda m: (2, 3.0), {}, TypeError, "new(): argument 'size' "),
    ("FloatTensor", lambda m: (-1,), {}, RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("FloatTensor", lambda m: (2, -3), {}, RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, -3]"),
    ("FloatTensor", lambda m: ([[1, 2], [3]],), {}, ValueError, ""),
]


@pytest.mark.parametrize("name, make_args, kwargs, error, message", ERRORS)
def test_typed_tensor_errors_match_torch(name, make_args, kwargs, error, message):
    with pytest.raises(error) as theirs:
        getattr(torch, name)(*make_args(torch), **kwargs)
    assert str(theirs.value).startswith(message)
    with pytest.raises(error) as ours:
        getattr(tg, name)(*make_args(tg), **kwargs)
    assert str(ours.value).startswith(message)


DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
CLASSES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_isinstance_of_typed_classes_is_by_dtype(dtype):
    ours, theirs = tg.zeros(2, dtype=getattr(tg, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
    got = [isinstance(ours, getattr(tg, c)) for c in CLASSES]
    assert got == [isinstance(theirs, getattr(torch, c)) for c in CLASSES]
    assert sum(got) == 1
    assert not isinstance(np.zeros(2), tg.FloatTensor)
    assert not issubclass(tg.LongTensor, tg.Tensor) and not issubclass(torch.LongTensor,
                                                                         torch.Tensor)


@pytest.mark.parametrize("cls", CLASSES)
def test_tensor_type_takes_a_typed_class(cls):
    x = [[1.5, -2.0], [0.0, 3.0]]
    ours, theirs = tg.tensor(x).type(getattr(tg, cls)), torch.tensor(x).type(getattr(torch, cls))
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tg.tensor(x).type(getattr(tg, cls)).type() == f"tinygrad_sgd.{cls}"


def test_typed_class_shares_a_numpy_array_of_its_dtype_and_copies_others():
    for name, dtype in [("FloatTensor", np.float32), ("LongTensor", np.int64)]:
        a, b = np.zeros(3, dtype), np.zeros(3, dtype)
        getattr(tg, name)(a)[0] = 1
        getattr(torch, name)(b)[0] = 1
        np.testing.assert_array_equal(a, b)
        assert a[0] == 1
    a, b = np.zeros(3, np.int32), np.zeros(3, np.int32)
    tg.LongTensor(a)[0] = 1
    torch.LongTensor(b)[0] = 1
    assert a[0] == b[0] == 0
    t = tg.zeros(2)
    tg.FloatTensor(t)[1] = 7                              # the same memory, as torch's alias
    assert t.tolist() == [0.0, 7.0]


def test_typed_classes_are_torch_names_through_the_runner():
    with torch_modules():
        shim = importlib.import_module("torch")
        for cls in CLASSES:
            assert getattr(shim, cls) is getattr(tg, cls)
        assert repr(shim.LongTensor) == "<class 'tinygrad_sgd.LongTensor'>"


# ------------------------------------------------------------------ GradScaler
def _model(m, dtype, seed=0):
    """The same two-layer net on both sides (weights from NumPy), its SGD with momentum."""
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((4, 6)) * 0.5, rng.standard_normal(6) * 0.1
    w2 = rng.standard_normal((6, 1)) * 0.5
    params = [m.tensor(a.astype(dtype), requires_grad=True) for a in (w1, b1, w2)]
    return params, m.optim.SGD(params, lr=0.1, momentum=0.9)


def _run_scaler(m, dtype, scaler_kwargs, steps, inf_at, clip, explicit_unscale):
    """A training loop with a CPU GradScaler; the losses of ``inf_at`` are made inf. Returns
    per step: (step's return value, scale, growth tracker, parameters)."""
    params, opt = _model(m, dtype)
    scaler = m.amp.GradScaler("cpu", **scaler_kwargs)
    rng, trace = np.random.default_rng(1), []
    for it in range(steps):
        x = m.tensor(rng.standard_normal((8, 4)).astype(dtype))
        y = m.tensor(rng.standard_normal((8, 1)).astype(dtype))
        h = m.tanh(x @ params[0] + params[1])
        loss = ((h @ params[2] - y) ** 2).mean()
        if it in inf_at:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        if explicit_unscale:
            scaler.unscale_(opt)
        if clip:
            m.nn.utils.clip_grad_norm_(params, clip)
        result = scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        trace.append((result, scaler.get_scale(), scaler.state_dict()["_growth_tracker"],
                      [p.detach().numpy().copy() for p in params]))
    return trace


SCALER_RUNS = [   # dtype, GradScaler kwargs, steps, steps with an inf loss, clip, unscale_
    (np.float64, {}, 4, (), None, False),
    (np.float64, {"init_scale": 1024.0, "growth_interval": 3}, 12, (4, 5), 1.0, True),
    (np.float32, {"init_scale": 1000.0, "growth_interval": 2, "growth_factor": 3.0,
                  "backoff_factor": 0.25}, 10, (0, 6), None, False),
    (np.float32, {"init_scale": 3.0e38, "growth_interval": 1}, 5, (), 0.5, True),  # overflows
]


@pytest.mark.parametrize("dtype, kwargs, steps, inf_at, clip, unscale", SCALER_RUNS)
def test_grad_scaler_steps_as_torch(dtype, kwargs, steps, inf_at, clip, unscale):
    ours = _run_scaler(tg, dtype, kwargs, steps, inf_at, clip, unscale)
    theirs = _run_scaler(torch, dtype, kwargs, steps, inf_at, clip, unscale)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for (r1, s1, g1, p1), (r2, s2, g2, p2) in zip(ours, theirs):
        assert (r1, s1, g1) == (r2, s2, g2)
        for a, b in zip(p1, p2):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-7 if dtype == np.float32 else 0)


def test_grad_scaler_skips_the_step_on_inf_and_keeps_the_parameters():
    trace = _run_scaler(tg, np.float64, {"init_scale": 8.0}, 3, (1,), None, False)
    np.testing.assert_array_equal(trace[0][3][0], trace[1][3][0])
    assert [t[1] for t in trace] == [8.0, 4.0, 4.0]


def _scaled_pair(m, scale=64.0):
    scaler = m.amp.GradScaler("cpu", init_scale=scale)
    return scaler, scaler.scale([m.ones(2), (m.ones(1) * 2, [m.ones(3, dtype=m.float64)])])


def test_grad_scaler_scales_nested_outputs_as_torch():
    (_, ours), (_, theirs) = _scaled_pair(tg), _scaled_pair(torch)
    assert type(ours) is list and type(ours[1]) is tuple and type(ours[1][1]) is list
    for a, b in [(ours[0], theirs[0]), (ours[1][0], theirs[1][0]), (ours[1][1][0], theirs[1][1][0])]:
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        tg.amp.GradScaler("cpu").scale(3.0)


def _misuse(m, what):
    p = m.tensor([1.0, 2.0], requires_grad=True)
    opt = m.optim.SGD([p], lr=0.1)
    scaler = m.amp.GradScaler("cpu")
    if what == "update before scale":
        scaler.update()
    scaler.scale((p * p).sum()).backward()
    if what == "unscale twice":
        scaler.unscale_(opt)
        scaler.unscale_(opt)
    if what == "unscale after step":
        scaler.step(opt)
        scaler.unscale_(opt)
    if what == "step twice":
        scaler.step(opt)
        scaler.step(opt)
    if what == "closure":
        scaler.step(opt, closure=lambda: None)
    if what == "no grads":
        opt.zero_grad()
        scaler.step(opt)
    if what == "fp16 grads":
        q = m.zeros(2, dtype=m.float16, requires_grad=True)
        q.grad = m.ones(2, dtype=m.float16)
        scaler.unscale_(m.optim.SGD([q], lr=0.1))
    if what == "empty state":
        scaler.load_state_dict({})
    if what == "tensor new_scale with grad":
        scaler.step(opt)
        scaler.update(m.tensor([2.0], requires_grad=True))
    if what == "tensor new_scale of shape (1,)":
        scaler.step(opt)
        scaler.update(m.tensor([2.0]))
    if what == "two-element new_scale":
        scaler.step(opt)
        scaler.update(m.tensor([2.0, 3.0]))


MISUSES = [
    ("update before scale", AssertionError, "Attempted update but _scale is None.  This may "
     "indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."),
    ("unscale twice", RuntimeError, "unscale_() has already been called on this optimizer since "
     "the last update()."),
    ("unscale after step", RuntimeError, "unscale_() is being called after step()."),
    ("step twice", RuntimeError, "step() has already been called since the last update()."),
    ("closure", RuntimeError, "Closure use is not currently supported if GradScaler is enabled."),
    ("no grads", AssertionError, "No inf checks were recorded for this optimizer."),
    ("fp16 grads", ValueError, "Attempting to unscale FP16 gradients."),
    ("empty state", RuntimeError, "The source state dict is empty, possibly because it was saved "
     "from a disabled instance of GradScaler."),
    ("tensor new_scale with grad", AssertionError, "new_scale should be a float or a 1-element "
     "torch.cuda.FloatTensor or torch.FloatTensor with requires_grad=False."),
    ("two-element new_scale", AssertionError, "new_scale should be a float or a 1-element "
     "torch.cuda.FloatTensor or torch.FloatTensor with requires_grad=False."),
    ("tensor new_scale of shape (1,)", RuntimeError,         # copied into the 0-d scale
     ("output with shape [] doesn't match the broadcast shape [1]",     # (torch's, then ours)
      "copy_: an operand of shape (1,) does not fit into a tensor of shape ()")),
]


@pytest.mark.parametrize("what, error, message", MISUSES)
def test_grad_scaler_errors_match_torch(what, error, message):
    for m, text in zip((torch, tg), message if isinstance(message, tuple) else (message,) * 2):
        with pytest.raises(error) as e:
            _misuse(m, what)
        assert str(e.value).startswith(text), m.__name__


@pytest.mark.parametrize("kwargs, message", [({"growth_factor": 1.0}, "The growth factor must be "
                                              "> 1.0."),
                                             ({"backoff_factor": 1.0}, "The backoff factor must "
                                              "be < 1.0.")])
def test_grad_scaler_checks_its_factors(kwargs, message):
    for m in (torch, tg):
        with pytest.raises(AssertionError, match=message.replace(".", r"\.")):
            m.amp.GradScaler("cpu", **kwargs)


def _new_scale_run(m, new_scale):
    p = m.tensor([1.0, 2.0], requires_grad=True)
    opt = m.optim.SGD([p], lr=0.1)
    scaler = m.amp.GradScaler("cpu", init_scale=16.0, growth_interval=5)
    scaler.scale((p * p).sum()).backward()
    scaler.step(opt)
    scaler.update(new_scale(m) if new_scale else None)
    state = scaler.state_dict()
    other = m.amp.GradScaler("cpu")
    other.load_state_dict(state)
    restored = pickle.loads(pickle.dumps(scaler))
    return (state, other.get_scale(), other._get_growth_tracker(), restored.get_scale(),
            restored.state_dict(), p.grad.tolist(), p.tolist())


@pytest.mark.parametrize("new_scale", [None, lambda m: 5.0, lambda m: m.tensor(3.0),
                                       lambda m: m.tensor(0.5, dtype=m.float64)])
def test_grad_scaler_update_state_dict_and_pickle_as_torch(new_scale):
    assert _new_scale_run(tg, new_scale) == _new_scale_run(torch, new_scale)


def _disabled(m, make):
    p = m.tensor([1.0, 2.0], requires_grad=True)
    opt = m.optim.SGD([p], lr=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = make(m)
    loss = (p * p).sum()
    same = scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(opt)
    result = scaler.step(opt)
    scaler.update()
    return ([(w.category.__name__, str(w.message)) for w in caught], same, result,
            scaler.is_enabled(), scaler.get_scale(), scaler.state_dict(), p.tolist())


@pytest.mark.parametrize("make", [
    lambda m: m.amp.GradScaler(),                              # "cuda": none here
    lambda m: m.amp.GradScaler("cuda", enabled=False),
    lambda m: m.amp.GradScaler("cpu", enabled=False),
    lambda m: importlib.import_module(f"{m.__name__}.cuda.amp" if m is torch else
                                      "tinygrad_sgd.amp.cuda_amp").GradScaler(),
    lambda m: importlib.import_module(f"{m.__name__}.cuda.amp" if m is torch else
                                      "tinygrad_sgd.amp.cuda_amp").GradScaler(enabled=False),
])
def test_disabled_grad_scaler_is_a_pass_through_as_torch_without_cuda(make):
    if torch.cuda.is_available():
        pytest.skip("torch has CUDA here: its 'cuda' scaler is not disabled")
    assert _disabled(tg, make) == _disabled(torch, make)


def test_amp_modules_through_the_runner():
    from tinygrad_sgd.amp import cuda_amp
    with torch_modules():
        shim = importlib.import_module("torch")
        assert shim.amp.GradScaler is tg.amp.GradScaler
        assert shim.cuda.amp.GradScaler is cuda_amp.GradScaler
        assert importlib.import_module("torch.cuda.amp").GradScaler is cuda_amp.GradScaler
        assert shim.amp.autocast is tg.amp.autocast and shim.autocast is tg.autocast
        assert importlib.import_module("torch.cpu.amp").autocast is tg.cpu.amp.autocast
        assert shim.amp.custom_fwd is tg.amp.custom_fwd
        with pytest.raises(NotImplementedError, match="torch.amp._enter_autocast is not provided"):
            shim.amp._enter_autocast
