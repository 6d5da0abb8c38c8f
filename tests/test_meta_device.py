"""The meta device (tinygrad_sgd/meta.py) against torch: each case is an expression run in
both libraries (``T`` is the library, ``t`` a (3, 4) meta tensor, ``x`` a (3, 4) CPU tensor);
the results must agree in shape, dtype, device, requires_grad, strides (where asked) and repr,
and the errors in class and message."""
import copy
import io
import pickle
import warnings

import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.printing import OPTIONS


def _env(T):
    return {"T": T, "nn": T.nn, "F": T.nn.functional, "t": T.empty(3, 4, device="meta"),
            "x": T.ones(3, 4), "s": T.empty((), device="meta"), "io": io, "copy": copy}


@pytest.fixture(autouse=True)
def torch_names():
    """Print as a torch program does (``torch.float16``): the line breaks of a repr then fall
    where torch's do."""
    before, OPTIONS.namespace = OPTIONS.namespace, "torch"
    yield
    OPTIONS.namespace = before


def _run(T, expr):
    try:
        return "ok", eval(expr, _env(T))
    except Exception as e:       # (compared with torch's below)
        return "error", e


def _describe(r):
    if isinstance(r, (tg.Tensor, torch.Tensor)):
        return (tuple(r.shape), str(r.dtype).split(".")[-1], str(r.device), r.requires_grad,
                repr(r))
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [_describe(v) for v in r]
    if isinstance(r, (tg.device, torch.device, tg.Size, torch.Size)):
        return str(r)
    return repr(r)


VALUES = """t
str(t)
format(t)
T.empty(0, device='meta')
T.empty((), device='meta')
T.empty(2, 3, device=T.device('meta'))
T.zeros(2, device='meta')
T.ones(2, 3, dtype=T.float64, device='meta')
T.full((2,), 3, device='meta')
T.full((2,), 1.5, device='meta')
T.rand(2, device='meta')
T.randn(2, 3, device='meta', requires_grad=True)
T.randint(0, 5, (3,), device='meta')
T.randperm(4, device='meta')
T.normal(0., 1., (2, 3), device='meta')
T.randint_like(t, 3)
T.randint_like(x, 3, device='meta')
T.normal(t, 1.)
T.arange(5, device='meta')
T.linspace(0, 1, 5, device='meta')
T.eye(3, device='meta')
T.tensor([1.], device='meta')
T.tensor(3, device='meta')
T.tensor([1.], device='meta', requires_grad=True)
T.as_tensor([1, 2], device='meta')
T.zeros_like(t)
T.ones_like(x, device='meta')
T.empty_like(x, device='meta')
T.full_like(t, 2.0)
T.rand_like(t)
T.randn_like(t)
t.new_zeros(2)
t.new_ones(2, 3)
t.new_empty(4)
t.new_full((2,), 1.0)
t.new_tensor([1., 2.])
x.new_ones(2, device='meta')
x.to('meta')
T.randn(3, 4).to(device='meta', dtype=T.float64)
x.to(t)
t.to('meta') is t
t.to(T.float64)
t.to(T.float64).stride()
t.T.to(T.float64).stride()
t.T.is_contiguous()
t.double()
nn.Linear(3, 2, device='meta').double().weight
nn.Linear(3, 2, device='meta').double().weight.stride()
nn.Linear(3, 2, device='meta').half().bias
t.long()
t.half()
t.clone()
t.detach()
t.data
t.contiguous() is t
t + 1
t * t
t + T.tensor(1.)
T.tensor(1.) + t
(t * 2).sum()
t.sum(0)
t.mean(1, keepdim=True)
t @ t.T
t[0]
t.view(12)
t.reshape(2, 6)
t.unsqueeze(0)
t == t
t.any()
t.max()
t.max(0)
t.argmax()
t.sort()
T.cat([t, t])
T.stack([t, t])
t.unbind(0)
t.chunk(2)
list(t)
len(t)
t.shape
t.dtype
t.device
t.is_meta
x.is_meta
t.is_cpu
t.numel()
t.dim()
t.stride()
t.T.stride()
T.stack([t, t]).stride()
t.is_contiguous()
t.element_size()
t.nbytes
t.get_device()
t.data_ptr()
t.is_leaf
t.grad
t.type()
t.requires_grad_()
t.abs_()
t.uniform_()
t.normal_()
t.fill_(2)
t.zero_()
t.copy_(x)
t.__setitem__(0, x[0])
F.relu(t, inplace=True) is t
nn.init.kaiming_uniform_(t)
nn.init.zeros_(t)
nn.Parameter(t)
repr(nn.Parameter(t))
T.empty(2, device='meta', dtype=T.int64)
T.zeros(2, 3, device='meta').new_zeros(2, dtype=T.float16)
F.softmax(t, dim=1)
F.linear(t, T.empty(2, 4, device='meta'))
nn.Linear(4, 2, device='meta').weight
nn.Linear(4, 2, device='meta').bias
nn.Linear(4, 2).to('meta').weight
nn.Linear(4, 2, device='meta')(t).shape
nn.Linear(4, 2, device='meta')(t).device
nn.Conv2d(3, 8, 3, device='meta')(T.empty(2, 3, 10, 10, device='meta')).shape
nn.Conv2d(3, 8, 3, device='meta').weight
nn.ReLU()(t)
nn.LayerNorm(4, device='meta')(t).shape
nn.LayerNorm(4, device='meta').weight
nn.Embedding(10, 4, device='meta')(T.empty(2, 5, dtype=T.long, device='meta')).shape
nn.Embedding(10, 4, device='meta').weight
nn.BatchNorm1d(4, device='meta').running_mean
nn.BatchNorm1d(4, device='meta')(t).shape
nn.Sequential(nn.Linear(4, 8, device='meta'), nn.ReLU(), nn.Linear(8, 2, device='meta'))(t).shape
nn.Sequential(nn.Conv2d(1, 4, 3, device='meta'), nn.ReLU(), nn.MaxPool2d(2), \
nn.Flatten(), nn.Linear(4 * 13 * 13, 10, device='meta'))(T.empty(5, 1, 28, 28, device='meta')).shape
nn.utils.skip_init(nn.Linear, 10, 10, device='meta').weight
nn.utils.skip_init(nn.Linear, 10, 10).weight.shape
list(nn.Linear(4, 2, device='meta').state_dict().items())
nn.Linear(4, 2, device='meta').to_empty(device='cpu').weight.device
nn.Linear(4, 2, device='meta').to_empty(device='cpu').weight.shape
nn.Linear(4, 2, device='meta').to('meta').weight
nn.Linear(2, 2, True, 'meta').weight
nn.Linear(2, 2, device='meta').to_empty(device='meta').weight
nn.MultiheadAttention(4, 2, device='meta').in_proj_weight
nn.LSTM(3, 4, device='meta').weight_ih_l0
nn.LSTM(3, 4, device='meta')(T.empty(5, 2, 3, device='meta'))[0].shape
nn.GRUCell(3, 4, device='meta')(T.empty(2, 3, device='meta')).shape
nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2, device='meta').state_dict(), assign=True)
T.zeros(2, device='meta:0')
t[T.tensor([0, 1])]
t[1:, ::2]
T.where(t > 0, 1., 0.)
F.dropout(t, 0.5)
nn.MSELoss()(t, t)
F.cross_entropy(T.empty(4, 10, device='meta'), T.empty(4, dtype=T.long, device='meta'))
F.max_pool2d(T.empty(2, 3, 8, 8, device='meta'), 2)
copy.deepcopy(nn.Linear(3, 2, device='meta')).weight
copy.copy(T.empty(2, device='meta'))""".split("\n")   # (a backslash joins a long case)

ERRORS = """t.item()
s.item()
float(s)
bool(s)
t.numpy()
t.__array__()
t.tolist()
x.clone().copy_(t)
x.copy_(t)
t.to('cpu')
t.cpu()
t.to(T.device('cpu'))
t.to(x)
t + x
x + t
t.add_(T.ones(5, device='meta'))
t.nonzero()
t[t > 0]
t.masked_select(t > 0)
t.unique()
T.empty(3, device='meta').__dlpack__()
nn.Linear(4, 2, device='meta').to('cpu')
nn.Linear(4, 2, device='meta').cpu()
T.tensor(t, device='cpu')
nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2, device='meta').state_dict())""".split("\n")
# where the messages differ (torch's name its own internals); the classes still agree
OWN_MESSAGE = {"t.add_(T.ones(5, device='meta'))", "t.nonzero()", "t[t > 0]",
               "t.masked_select(t > 0)", "t.unique()", "T.tensor(t, device='cpu')"}


@pytest.mark.parametrize("expr", VALUES)
def test_values_as_torch(expr):
    ours, theirs = _run(tg, expr), _run(torch, expr)
    assert ours[0] == theirs[0] == "ok", (ours, theirs)
    assert _describe(ours[1]) == _describe(theirs[1])


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_as_torch(expr):
    ours, theirs = _run(tg, expr), _run(torch, expr)
    assert ours[0] == theirs[0] == "error", (ours, theirs)
    if expr in OWN_MESSAGE:
        assert isinstance(ours[1], (type(theirs[1]), RuntimeError, NotImplementedError))
    else:
        assert type(ours[1]).__name__ == type(theirs[1]).__name__
        assert str(ours[1]) == str(theirs[1])


def _both(fn):
    return fn(tg), fn(torch)


def test_default_device_context_and_setting():
    for T in (tg, torch):
        with T.device("meta"):
            assert str(T.get_default_device()) == "meta"
            assert T.zeros(2).is_meta and T.tensor([1, 2]).is_meta and T.randn(2).is_meta
            assert T.nn.Linear(4, 2).weight.is_meta
            assert not T.zeros(2, device="cpu").is_meta
        assert not T.zeros(2).is_meta
        T.set_default_device("meta")
        try:
            assert T.zeros(2).is_meta and T.nn.Linear(2, 2).weight.is_meta
        finally:
            T.set_default_device(None)
        assert not T.zeros(2).is_meta


def test_meta_factories_draw_nothing():
    for T in (tg, torch):
        before = T.get_rng_state()
        T.rand(5, device="meta"), T.randn(5, device="meta"), T.randint(0, 3, (4,), device="meta")
        t = T.empty(3, 4, device="meta")
        T.rand_like(t), t.uniform_(), t.normal_(), T.nn.init.kaiming_uniform_(t)
        T.nn.functional.dropout(t, 0.5), T.nn.Dropout(0.2)(t)
        with T.device("meta"):
            T.nn.Linear(100, 100)
        assert T.equal(before, T.get_rng_state())


def test_type_is_plain_tensor():
    t = tg.empty(2, device="meta")
    assert type(t) is tg.Tensor and isinstance(t, tg.Tensor)
    p = tg.nn.Linear(2, 2, device="meta").weight
    assert type(p) is tg.nn.Parameter


def test_load_state_dict_onto_meta_model():
    def run(T):
        T.manual_seed(0)
        sd = T.nn.Linear(4, 2).state_dict()
        with T.device("meta"):
            m = T.nn.Linear(4, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.load_state_dict(sd)
        assert m.weight.is_meta
        messages = [str(i.message) for i in w]
        m.load_state_dict(sd, assign=True)
        out = m(T.ones(1, 4))
        return messages, m.weight.is_meta, m.weight.requires_grad, out.detach().numpy()
    ours, theirs = _both(run)
    assert ours[0] == theirs[0] and len(ours[0]) == 2
    assert ours[1:3] == theirs[1:3] == (False, True)
    assert (ours[3] == theirs[3]).all()


def test_to_empty_then_load():
    def run(T):
        T.manual_seed(1)
        ref = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
        with T.device("meta"):
            m = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
        m.to_empty(device="cpu")
        assert all(not p.is_meta and type(p) is T.nn.Parameter for p in m.parameters())
        m.load_state_dict(ref.state_dict())
        return m(T.ones(2, 4)).detach().numpy()
    ours, theirs = _both(run)
    assert (ours == theirs).all()


def test_meta_values_never_leak():
    t = tg.empty(3, 4, device="meta")
    for bad in (lambda: t.array + 1, lambda: t.array.tolist(), lambda: t.array.item(),
                lambda: t.array.tobytes()):
        with pytest.raises(NotImplementedError, match="no data"):
            bad()
    assert tg.tensor(t).is_meta and tg.as_tensor(t).is_meta
    buffer = io.BytesIO()                # (saved as torch saves it: no values written;
    tg.save(t, buffer)                   # tests/test_meta_autograd.py compares with torch)
    assert tg.load(io.BytesIO(buffer.getvalue())).is_meta
    assert pickle.loads(pickle.dumps(t)).is_meta        # (as torch's: no values either)
    big = tg.empty(10_000, 10_000, device="meta")        # (no memory: a zero-stride view)
    assert big.array.strides == (0, 0) and big.shape == (10_000, 10_000)
    (t.requires_grad_() * 2).sum().backward()        # (meta gradients: no values either)
    assert t.grad.is_meta and t.grad.shape == t.shape
    assert (t.T + 1).stride() == (1, 4)                 # (torch's: the layout kept)
    with pytest.raises(NotImplementedError):
        tg.equal(t, t)


def test_plain_tensors_unchanged_after_meta():
    tg.empty(2, device="meta")
    x = tg.arange(6.).reshape(2, 3)
    assert (x + 1).tolist() == [[1., 2., 3.], [4., 5., 6.]]
    assert x.device == tg.device("cpu") and not x.is_meta and x.is_cpu
    assert x.T.stride() == (1, 3)


# ----------------------------------------------------------- the library put back afterwards
# The first meta tensor switches the dispatch on (torch_function.install, Function.apply
# gated); once no meta tensor is left, a safe point (to_empty, load_state_dict, to, an
# optimizer made) puts the library back as a fresh process has it — unless a subclass or a mode
# wants the dispatch, which then stays. Each case runs in a fresh process, whose state it
# compares with its own snapshot taken before the first meta tensor.
_SNAPSHOT = """if True:
    import gc, os, sys, types
    gc.disable()                # (the meta tensors must go with their last reference)
    import numpy as np
    import tinygrad_sgd as tg, tinygrad_sgd.nn.functional as F
    from tinygrad_sgd import linalg, special, meta, torch_function as tf
    from tinygrad_sgd.autograd.function import Function
    SPACES = (tg, F, linalg, special, sys.modules[__name__])
    INIT = tg.nn.TransformerEncoderLayer.__init__      # (its default: activation=F.relu)

    def snapshot():
        return (dict(vars(tg.Tensor)), [dict(vars(m)) for m in SPACES],
                Function.__dict__["apply"], tg.nn.Transformer.__init__.__defaults__,
                getattr(INIT, "__wrapped__", INIT).__defaults__)

    def same_as(before, where):
        now = snapshot()
        tensor = [k for k, v in before[0].items() if vars(tg.Tensor).get(k) is not v]
        spaces = [(m.__name__, k) for m, b in zip(SPACES, before[1]) for k, v in b.items()
                  if type(v) is types.FunctionType and vars(m).get(k) is not v]
        assert not tensor and not spaces, (where, tensor[:5], spaces[:5])
        assert now[2] is before[2], where                 # Function.apply: the plain one
        assert now[3:] == before[3:], where               # defaults (activation=F.relu)
        assert not tf.installed() and not meta._enabled and not tf._meta_on, where
        assert tg.Tensor.sin is tg.sin is tg.Tensor.__dict__["sin"], where

    def train(steps=3):           # a small CNN's losses and final weights, seeded
        tg.manual_seed(0)
        net = tg.nn.Sequential(tg.nn.Conv2d(1, 4, 3), tg.nn.BatchNorm2d(4), tg.nn.ReLU(),
                               tg.nn.Flatten(), tg.nn.Linear(4 * 6 * 6, 3))
        opt = tg.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x, y = tg.randn(5, 1, 8, 8), tg.tensor([0, 1, 2, 1, 0])
        out = []
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            out.append(loss.item())
        return out, net[4].weight.detach().numpy().copy()

    def meta_net():
        with tg.device("meta"):
            return tg.nn.Sequential(tg.nn.Conv2d(1, 4, 3), tg.nn.BatchNorm2d(4), tg.nn.ReLU(),
                                    tg.nn.Flatten(), tg.nn.Linear(4 * 6 * 6, 3))
"""


def _fresh_process(code):
    import os
    import subprocess
    import sys
    import textwrap
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", _SNAPSHOT + textwrap.dedent(code)],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=root + os.pathsep +
                                   os.environ.get("PYTHONPATH", "")))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_the_meta_flow_leaves_the_library_as_a_fresh_process_has_it():
    out = _fresh_process("""
    before, expected = snapshot(), train()
    m = meta_net()                                     # to_empty, then load
    assert tf.installed() and meta._enabled and Function.__dict__["apply"] is not before[2]
    y = m(tg.empty(2, 1, 8, 8, device="meta"))         # (ops on meta run; results dropped)
    assert y.is_meta and tuple(y.shape) == (2, 3)
    del y
    m.to_empty(device="cpu")
    same_as(before, "to_empty")
    m.load_state_dict({k: tg.ones_like(v) for k, v in m.state_dict().items()})
    same_as(before, "load_state_dict")
    assert m(tg.ones(2, 1, 8, 8)).shape == (2, 3)
    losses, w = train()
    assert losses == expected[0] and np.array_equal(w, expected[1])
    m = meta_net()                                     # load_state_dict(assign=True)
    sd = {k: tg.zeros_like(v, device="cpu") for k, v in m.state_dict().items()}
    assert tf.installed()
    m.load_state_dict(sd, assign=True)
    same_as(before, "load_state_dict(assign=True)")
    m = meta_net()                                     # no safe point of a module: an
    del m                                              # optimizer made is one
    assert tf.installed()
    tg.optim.SGD(tg.nn.Linear(2, 2).parameters(), lr=0.1)
    same_as(before, "Optimizer()")
    losses, w = train()
    assert losses == expected[0] and np.array_equal(w, expected[1])
    print("ok")
    """)
    assert out.split() == ["ok"]


def test_a_meta_tensor_still_alive_keeps_the_dispatch_on():
    out = _fresh_process("""
    before = snapshot()
    m, keep = meta_net(), tg.empty(3, device="meta")
    m.to_empty(device="cpu")
    assert tf.installed() and meta._enabled and (keep + 1).is_meta
    view = keep[1:]                  # (a view of it keeps it on too)
    del keep
    m.to_empty(device="cpu")
    assert tf.installed() and meta._enabled and (view * 2).is_meta
    del view
    m.to_empty(device="cpu")
    same_as(before, "the last meta tensor gone")
    print("ok")
    """)
    assert out.split() == ["ok"]


def test_a_wrapper_taken_while_installed_still_works_after():
    out = _fresh_process("""
    before = snapshot()
    m = meta_net()
    from tinygrad_sgd import add as held_add          # (module names: put back; a list or
    kept = [tg.add, F.relu, tg.Tensor.sin, tg.Tensor.__add__]   # a closure: not reachable)
    assert held_add is not before[1][0]["add"] and kept[1] is not before[1][1]["relu"]
    m.to_empty(device="cpu")
    same_as(before, "to_empty")
    assert held_add is before[1][0]["add"]            # (this module's name: plain again)
    add, relu, sin, plus = kept
    x = tg.tensor([-1.0, 0.5, 2.0])
    assert add(x, x).tolist() == (x + x).tolist() and relu(x).tolist() == [0.0, 0.5, 2.0]
    assert sin(x).tolist() == tg.sin(x).tolist() and plus(x, 1).tolist() == (x + 1).tolist()
    assert plus(x, [1]) is NotImplemented             # (an operator's answer, unchanged)
    p = tg.nn.Parameter(tg.ones(2))
    assert type(add(p, 1)) is tg.Tensor
    t = add(tg.empty(3, device="meta"), 1)            # (a meta tensor: on again, the same
    assert t.is_meta and tf.installed() and tg.add is add    # wrappers come back)
    del t
    tg.optim.SGD([p], lr=0.1)
    same_as(before, "again")

    class Mine(tg.Tensor):                            # (a subclass: the held wrappers
        pass                                          # dispatch to it)
    assert tg.add is add and type(add(x.as_subclass(Mine), 1)) is Mine
    print("ok")
    """)
    assert out.split() == ["ok"]


def test_a_subclass_or_a_mode_keeps_the_dispatch_installed():
    out = _fresh_process("""
    class Mine(tg.Tensor):                           # defined before the first meta tensor
        pass
    wrapped = dict(vars(tg.Tensor))
    assert tf.installed()
    m = meta_net()
    m.to_empty(device="cpu")
    assert tf.installed() and not meta._enabled and not tf._meta_on
    assert all(vars(tg.Tensor).get(k) is v for k, v in wrapped.items())
    assert "_meta_plain" not in vars(Function.__dict__["apply"].__func__)
    x = tg.ones(2)
    assert type(x.as_subclass(Mine) + 1) is Mine and type(x + 1) is tg.Tensor
    tf.uninstall()                                   # (back to fresh, for the next cases)
    before = snapshot()

    m = meta_net()                                   # a subclass defined while meta lives
    class Late(tg.Tensor):
        pass
    m.to_empty(device="cpu")
    assert tf.installed() and not meta._enabled
    assert type(x.as_subclass(Late) * 2) is Late
    tf.uninstall()
    same_as(before, "uninstall()")

    from tinygrad_sgd.overrides import TorchFunctionMode
    seen = []

    class Log(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func.__name__)
            return func(*args, **(kwargs or {}))
    with Log():                                      # a mode active over the meta flow
        m = meta_net()
        m.to_empty(device="cpu")
        assert tf.installed() and not meta._enabled
        tg.sin(x)
    assert "sin" in seen and tf.installed()
    print("ok")
    """)
    assert out.split() == ["ok"]


def test_uninstall_costs_little():
    """What undoing the dispatch costs, once (measured: a few ms; the CNN step saved 5-10%)."""
    out = _fresh_process("""
    import time
    times = []
    for _ in range(3):
        tf.install(for_meta=True)
        t0 = time.perf_counter()
        tf.uninstall(only_if_meta=True)
        times.append(time.perf_counter() - t0)
    print(min(times))
    """)
    assert float(out) < 0.5
