"""What the PyTorch tutorials about tensors and autograd (and "What is torch.nn really?") need,
against torch: the ``out=`` keyword of the top-level functions, ``f"{x.shape}"``, ``t.type()``,
the named tuples' printing, ``Sequential`` item assignment, ``x[range(n), target]``, torch's
node names (``MulBackward0``, ``SelectBackward0``) in a torch program, and torch's messages for
the autograd errors the tutorials meet.

(The programs themselves: tests/torch_programs/{tensors_tutorial,autograd_tutorial,nn_really}.py,
run by tests/test_as_torch.py.)
"""
import contextlib
import re
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.printing import OPTIONS

LIBS = {"tg": tg, "torch": torch}


@contextlib.contextmanager
def torch_program():
    """As while the as_torch runner runs a torch program: things are named as torch's."""
    saved, OPTIONS.namespace = OPTIONS.namespace, "torch"
    try:
        yield
    finally:
        OPTIONS.namespace = saved


def both(fn):
    """``fn(lib)`` for tinygrad_sgd and torch: (ours, torch's)."""
    return fn(tg), fn(torch)


def same_values(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(np.asarray(ours.tolist(), dtype=float),
                               np.asarray(theirs.tolist(), dtype=float), rtol=1e-6, atol=1e-7)


def error_of(fn):
    try:
        fn()
    except Exception as e:       # noqa: BLE001 - the test compares the class and the message
        return type(e).__name__, str(e)
    return None


# ------------------------------------------------------------------------------ out=
X = [[1.0, -2.0, 3.0], [4.0, 5.5, -6.0]]
OUT_CASES = [   # (name, call(lib, out) → result, out dtype): out starts empty or of another size
    ("matmul", lambda L, o: L.matmul(L.tensor(X), L.tensor(X).T, out=o), "float32"),
    ("mul", lambda L, o: L.mul(L.tensor(X), L.tensor(X), out=o), "float32"),
    ("mul_scalar", lambda L, o: L.mul(L.tensor(X), 2, out=o), "float32"),
    ("add_alpha", lambda L, o: L.add(L.tensor(X), L.tensor(X), alpha=3, out=o), "float32"),
    ("sub", lambda L, o: L.sub(L.tensor(X), 1.5, out=o), "float64"),
    ("div", lambda L, o: L.div(L.tensor([1, 2]), 4, out=o), "float32"),
    ("exp", lambda L, o: L.exp(L.tensor(X), out=o), "float32"),
    ("sum_dim", lambda L, o: L.sum(L.tensor(X), 1, out=o), "float32"),
    ("mean_dim", lambda L, o: L.mean(L.tensor(X), 0, out=o), "float64"),
    ("argmax", lambda L, o: L.argmax(L.tensor(X), 1, out=o), "int64"),
    ("eq_into_float", lambda L, o: L.eq(L.tensor(X), 1.0, out=o), "float32"),
    ("cat", lambda L, o: L.cat([L.tensor(X), L.tensor(X)], 1, out=o), "float32"),
    ("stack", lambda L, o: L.stack([L.tensor(X), L.tensor(X)], out=o), "float32"),
    ("where", lambda L, o: L.where(L.tensor(X) > 0, L.tensor(X), L.zeros(2, 3), out=o),
     "float32"),
    ("clamp", lambda L, o: L.clamp(L.tensor(X), -1, 1, out=o), "float32"),
    ("cumsum", lambda L, o: L.cumsum(L.tensor(X), 1, out=o), "float32"),
    ("softmax", lambda L, o: L.softmax(L.tensor(X), 1, out=o), "float32"),
    ("bmm", lambda L, o: L.bmm(L.ones(2, 2, 3), L.ones(2, 3, 4), out=o), "float32"),
    ("zeros", lambda L, o: L.zeros(2, 3, out=o), "int64"),
    ("ones", lambda L, o: L.ones(4, out=o), "float64"),
    ("arange", lambda L, o: L.arange(5, out=o), "float32"),
    ("linspace", lambda L, o: L.linspace(0, 1, 5, out=o), "float64"),
    ("full", lambda L, o: L.full((2,), 7.0, out=o), "float32"),
    ("eye", lambda L, o: L.eye(3, out=o), "int32"),
]


@pytest.mark.parametrize("name,call,dtype", OUT_CASES, ids=[c[0] for c in OUT_CASES])
@pytest.mark.parametrize("start", [0, 5])
def test_out_writes_the_result_into_out_and_returns_it(name, call, dtype, start):
    outs = {k: L.zeros(start, dtype=getattr(L, dtype)) for k, L in LIBS.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = call(tg, outs["tg"])
    with warnings.catch_warnings(record=True) as caught_torch:
        warnings.simplefilter("always")
        theirs = call(torch, outs["torch"])
    assert ours is outs["tg"] and theirs is outs["torch"]
    same_values(ours, theirs)
    resized = [str(w.message) for w in caught if "was resized" in str(w.message)]
    resized_torch = [str(w.message) for w in caught_torch if "was resized" in str(w.message)]
    assert bool(resized) == bool(resized_torch)        # (factories but arange don't warn)
    if resized:
        assert resized[0].split(" This")[0] == resized_torch[0].split(" This")[0]


def test_out_with_several_results_takes_a_tuple():
    for lib in ("tg", "torch"):
        L = LIBS[lib]
        x = L.tensor([[3.0, 1.0, 2.0], [0.5, 9.0, -1.0]])
        values, indices = L.empty(0), L.empty(0, dtype=L.int64)
        out = L.sort(x, 1, out=(values, indices))
        assert out.values is values and out.indices is indices
        assert values.tolist() == [[1.0, 2.0, 3.0], [-1.0, 0.5, 9.0]]
        assert indices.tolist() == [[1, 2, 0], [2, 0, 1]]
        m = L.max(x, 1, out=(L.empty(0), L.empty(0, dtype=L.int64)))
        assert m.values.tolist() == [3.0, 9.0] and m.indices.tolist() == [0, 1]
        k = L.topk(x, 2, out=[L.empty(0), L.empty(0, dtype=L.int64)])
        assert k[0].tolist() == [[3.0, 2.0], [9.0, 0.5]]


def test_out_into_a_view_writes_its_base_and_moves_the_version():
    for L in LIBS.values():
        base = L.ones(3)
        before = base._version
        L.mul(L.tensor([1.0, 2.0]), 3, out=base[1:])
        assert base.tolist() == [1.0, 3.0, 6.0]
        assert base._version > before
        same = L.tensor([1.0, 2.0])
        assert L.add(same, same, out=same) is same and same.tolist() == [2.0, 4.0]


OUT_ERRORS = [
    lambda L: L.mul(L.ones(2), L.ones(2), out=L.empty(2, dtype=L.int64)),
    lambda L: L.add(L.tensor([1, 2]), 1, out=L.empty(2, dtype=L.bool)),
    lambda L: L.mul(L.ones(2, requires_grad=True), 2.0, out=L.empty(2)),
    lambda L: L.mul(L.ones(2), 2.0, out=L.empty(2, requires_grad=True)),
    lambda L: L.zeros(2, dtype=L.float64, out=L.empty(0, dtype=L.int64)),
    lambda L: L.mul(L.ones(2), 2.0, out=[L.empty(2)]),
]   # (torch's methods take no out=; ours do: a method is the top-level function itself)


@pytest.mark.parametrize("i", range(len(OUT_ERRORS)))
def test_out_errors_are_torchs(i):
    ours, theirs = both(lambda L: error_of(lambda: OUT_ERRORS[i](L)))
    assert theirs is not None and ours is not None
    assert ours[0] == theirs[0]
    if theirs[0] == "RuntimeError":
        assert ours[1] == theirs[1]
    else:
        assert ("out" in ours[1]) and ("out" in theirs[1])


def test_out_under_no_grad_and_the_signature():
    w = tg.ones(2, requires_grad=True)
    out = tg.empty(2)
    with tg.no_grad():
        tg.mul(w, 3.0, out=out)
    assert out.tolist() == [3.0, 3.0] and not out.requires_grad
    import inspect
    assert "out" in inspect.signature(tg.matmul).parameters
    assert tg.mul(tg.ones(1), 2).tolist() == [2.0]           # out=None: as before


# ------------------------------------------------------------------------------ Size, type()
def test_a_shape_in_a_programs_f_string_prints_as_torch_size():
    ours, theirs = both(lambda L: (f"{L.rand(3, 4).shape}", "{}".format(L.ones(2).size()),
                                   f"{L.ones(2, 3).shape!s}", f"{L.ones(2, 3).shape:}"))
    assert ours == tuple(t.replace("torch.", "tinygrad_sgd.") for t in theirs)
    with torch_program():
        assert f"{tg.rand(3, 4).shape}" == f"{torch.rand(3, 4).shape}" == "torch.Size([3, 4])"
    assert f"{tg.ones(2, 3).shape!r:>30}" == f"{tg.ones(2, 3).shape!r}".rjust(30)


SIZE_ARITHMETIC = {
    "size + size": lambda S: S + S, "size + tuple": lambda S: S + (1,),
    "tuple + size": lambda S: (1,) + S, "size * 2": lambda S: S * 2,
    "2 * size": lambda S: 2 * S, "size * 0": lambda S: S * 0, "slice": lambda S: S[1:],
    "size + list": lambda S: S + [1], "size * 1.5": lambda S: S * 1.5,
}


@pytest.mark.parametrize("name", SIZE_ARITHMETIC)
def test_size_arithmetic_gives_a_size_as_torch(name):
    """torch.Size's + and * give a Size (a tuple's would give a tuple); errors alike."""
    results = []
    for L in (torch, tg):
        try:
            r = SIZE_ARITHMETIC[name](L.ones(2, 3).shape)
            results.append((type(r).__name__, tuple(r)))
        except TypeError as e:
            results.append(("TypeError", str(e).replace("tinygrad_sgd.", "torch.")))
    assert results[0] == results[1]


def test_the_librarys_own_messages_still_read_a_shape_as_a_tuple():
    with pytest.raises(Exception, match=r"shapes \(2, 3\) and \(2, 3\)"):
        tg.ones(2, 3) @ tg.ones(2, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "uint8",
                                   "float16"])
def test_type_names_the_tensor_type_and_takes_one(dtype):
    ours, theirs = both(lambda L: L.zeros(2, dtype=getattr(L, dtype)))
    with torch_program():
        assert ours.type() == theirs.type()
    assert ours.type() == theirs.type().replace("torch.", "tinygrad_sgd.")
    for name in ("torch.DoubleTensor", "torch.LongTensor", "torch.BoolTensor"):
        same_values(ours.type(name), theirs.type(name))
    assert error_of(lambda: ours.type("torch.Foo")) == error_of(lambda: theirs.type("torch.Foo"))


# ------------------------------------------------------------------------------ return types
RETURN_TYPES = [
    lambda L, x: L.max(x, 1), lambda L, x: x.min(dim=0), lambda L, x: L.sort(x),
    lambda L, x: x.sort(descending=True), lambda L, x: L.topk(x, 2), lambda L, x: x.kthvalue(2),
    lambda L, x: x.median(1), lambda L, x: L.mode(x, 1), lambda L, x: L.cummax(x, 1),
    lambda L, x: L.aminmax(x), lambda L, x: L.frexp(x), lambda L, x: L.histogram(x, 3),
    lambda L, x: L.linalg.slogdet(x @ x.T),
    lambda L, x: L.max(x.reshape(-1), 0, keepdim=True),
]


@pytest.mark.parametrize("i", range(len(RETURN_TYPES)))
def test_named_tuples_print_as_torch_return_types(i):
    data = [[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]]
    ours, theirs = both(lambda L: RETURN_TYPES[i](L, L.tensor(data)))
    assert type(ours).__name__ == type(theirs).__name__
    assert ours._fields == tuple(theirs._fields) if hasattr(theirs, "_fields") else True
    with torch_program():
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert repr(ours) == repr(theirs).replace("torch.", "tinygrad_sgd.")
    values, *rest = ours
    assert values is ours[0]


# ------------------------------------------------------------------------------ Sequential
def _structure(seq):
    return [(k, type(m).__name__, getattr(m, "out_features", None))
            for k, m in seq.named_children()]


SEQUENTIAL_EDITS = [
    lambda L, s: s.__setitem__(2, L.nn.Linear(16, 10)),
    lambda L, s: s.__setitem__(-1, L.nn.Tanh()),
    lambda L, s: s.__delitem__(1),
    lambda L, s: s.__delitem__(slice(0, 2)),
    lambda L, s: s.insert(1, L.nn.Sigmoid()),
    lambda L, s: s.insert(-1, L.nn.Sigmoid()),
    lambda L, s: s.insert(3, L.nn.Sigmoid()),
    lambda L, s: s.extend([L.nn.ReLU(), L.nn.Linear(4, 2)]),
    lambda L, s: s.append(L.nn.Linear(4, 3)),
    lambda L, s: s.pop(0),
]


@pytest.mark.parametrize("i", range(len(SEQUENTIAL_EDITS)))
def test_sequential_items_are_set_deleted_and_inserted_as_torch(i):
    def run(L):
        s = L.nn.Sequential(L.nn.Linear(8, 16), L.nn.ReLU(), L.nn.Linear(16, 4))
        SEQUENTIAL_EDITS[i](L, s)
        return _structure(s), sorted(s.state_dict())
    ours, theirs = both(run)
    assert ours == theirs


def test_sequential_item_errors_and_the_frozen_model_of_the_blitz():
    assert error_of(lambda: nn.Sequential(nn.ReLU())[3]) is not None
    for L in LIBS.values():
        with pytest.raises(IndexError):
            L.nn.Sequential(L.nn.ReLU()).__setitem__(3, L.nn.ReLU())
        with pytest.raises(IndexError):
            L.nn.Sequential(L.nn.ReLU()).insert(5, L.nn.ReLU())
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    for p in model.parameters():
        p.requires_grad = False
    model[2] = nn.Linear(16, 10)
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    assert model(tg.ones(1, 8)).shape == (1, 10)


# ------------------------------------------------------------------------------ indexing
INDEXES = [
    lambda L: (range(3), L.tensor([0, 3, 1])),       # the tutorial's nll: x[range(n), target]
    lambda L: range(2), lambda L: range(0), lambda L: (slice(None), range(1, 3)),
    lambda L: (range(3), 0), lambda L: (range(2, 3), range(1, 2)),
]


@pytest.mark.parametrize("i", range(len(INDEXES)))
def test_a_range_indexes_as_a_list(i):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)

    def run(L):
        x = L.tensor(data, requires_grad=True)
        y = x[INDEXES[i](L)]
        (y * L.arange(y.numel()).reshape(y.shape).float()).sum().backward()
        return y, x.grad
    (y, g), (ty, tgrad) = both(run)
    same_values(y, ty)
    same_values(g, tgrad)
    ours, theirs = both(lambda L: L.arange(12).reshape(3, 4))
    ours[range(2), 1] = -1
    theirs[range(2), 1] = -1
    same_values(ours, theirs)


def test_index_arrays_that_do_not_broadcast_raise_torchs_error():
    for index in [lambda L: (range(3), range(2)), lambda L: (L.tensor([0, 1]), L.tensor([0, 1, 2])),
                  lambda L: (L.tensor([True, False, True]), L.tensor([0, 1, 2]))]:
        ours, theirs = both(lambda L: error_of(lambda: L.zeros(3, 4)[index(L)]))
        assert ours == theirs


# ------------------------------------------------------------------------------ node names
NODES = {   # id: lib, x (3, 4), v (4,), m (4, 4) -> a result with a grad_fn
    "add": lambda L, x, v, m: x + v, "rsub": lambda L, x, v, m: 2 - x,
    "rdiv": lambda L, x, v, m: 2 / x, "rpow": lambda L, x, v, m: 2 ** x,
    "pow": lambda L, x, v, m: x ** 2, "pow_t": lambda L, x, v, m: x ** v,
    "neg": lambda L, x, v, m: -x, "sum": lambda L, x, v, m: x.sum(),
    "sum_dim": lambda L, x, v, m: x.sum(0), "sum_dtype": lambda L, x, v, m: x.sum(dtype=L.float64),
    "mean": lambda L, x, v, m: x.mean(), "mean_dim": lambda L, x, v, m: x.mean(1, keepdim=True),
    "max": lambda L, x, v, m: x.max(), "max_dim": lambda L, x, v, m: x.max(1)[0],
    "select": lambda L, x, v, m: x[0], "select_col": lambda L, x, v, m: x[:, 1],
    "slice": lambda L, x, v, m: x[1:], "select_slice": lambda L, x, v, m: x[0, 1:],
    "index": lambda L, x, v, m: x[L.tensor([0, 2])], "mask": lambda L, x, v, m: x[x > 0.5],
    "range": lambda L, x, v, m: x[range(3), L.tensor([0, 1, 2])],
    "none": lambda L, x, v, m: x[None], "ellipsis": lambda L, x, v, m: x[..., -1],
    "view": lambda L, x, v, m: x.view(-1), "reshape": lambda L, x, v, m: x.reshape(4, 3),
    "reshape_copy": lambda L, x, v, m: x.t().reshape(12), "flatten": lambda L, x, v, m: x.flatten(),
    "unsqueeze": lambda L, x, v, m: x.unsqueeze(0), "squeeze": lambda L, x, v, m: x[None].squeeze(),
    "squeeze_dim": lambda L, x, v, m: x[None].squeeze(0), "t": lambda L, x, v, m: x.t(),
    "T": lambda L, x, v, m: x.T, "mT": lambda L, x, v, m: x.mT,
    "transpose": lambda L, x, v, m: x.transpose(0, 1), "permute": lambda L, x, v, m: x.permute(1, 0),
    "stack": lambda L, x, v, m: L.stack([x, x]), "cat": lambda L, x, v, m: L.cat([x, x]),
    "chunk": lambda L, x, v, m: x.chunk(2)[1], "split_sizes": lambda L, x, v, m: x.split([1, 2])[0],
    "unbind": lambda L, x, v, m: x.unbind(1)[0], "narrow": lambda L, x, v, m: x.narrow(1, 0, 2),
    "select_fn": lambda L, x, v, m: x.select(0, 1),
    "index_select": lambda L, x, v, m: x.index_select(1, L.tensor([0])),
    "clone": lambda L, x, v, m: x.clone(), "to64": lambda L, x, v, m: x.double(),
    "mm": lambda L, x, v, m: x @ m, "mv": lambda L, x, v, m: x @ v, "dot": lambda L, x, v, m: v @ v,
    "vm": lambda L, x, v, m: v @ m, "batched": lambda L, x, v, m: x[None] @ m,
    "outer": lambda L, x, v, m: L.outer(v, v), "relu": lambda L, x, v, m: L.relu(x),
    "sigmoid": lambda L, x, v, m: x.sigmoid(), "exp": lambda L, x, v, m: x.exp(),
    "log1p": lambda L, x, v, m: x.log1p(), "clamp": lambda L, x, v, m: x.clamp(0.2, 0.5),
    "masked_fill": lambda L, x, v, m: x.masked_fill(x > 0.5, 0.0),
    "tril": lambda L, x, v, m: m.tril(), "triu": lambda L, x, v, m: m.triu(),
    "trace": lambda L, x, v, m: m.trace(), "roll": lambda L, x, v, m: x.roll(1),
    "cumsum": lambda L, x, v, m: x.cumsum(0), "logsumexp": lambda L, x, v, m: x.logsumexp(1),
    "norm": lambda L, x, v, m: x.norm(), "var_mean": lambda L, x, v, m: L.var_mean(x, 0)[1],
    "nansum": lambda L, x, v, m: x.nansum(), "unfold": lambda L, x, v, m: x.unfold(1, 2, 1),
    "softmax": lambda L, x, v, m: x.softmax(1), "log_softmax": lambda L, x, v, m: x.log_softmax(1),
    "linear": lambda L, x, v, m: L.nn.functional.linear(x, m, v),
    "linear_nobias": lambda L, x, v, m: L.nn.functional.linear(x, m),
    "linear_1d": lambda L, x, v, m: L.nn.functional.linear(v, m, v),
    "linear_3d": lambda L, x, v, m: L.nn.functional.linear(x[None], m),
    "cross_entropy": lambda L, x, v, m: L.nn.functional.cross_entropy(x, L.tensor([0, 1, 2])),
    "nll": lambda L, x, v, m: L.nn.functional.nll_loss(x, L.tensor([0, 1, 2])),
    "mse": lambda L, x, v, m: L.nn.functional.mse_loss(x, x.detach()),
    "l1": lambda L, x, v, m: L.nn.functional.l1_loss(x, x.detach()),
    "bce": lambda L, x, v, m: L.nn.functional.binary_cross_entropy(x, x.detach()),
    "bce_logits": lambda L, x, v, m: L.nn.functional.binary_cross_entropy_with_logits(
        x, x.detach()),
    "smooth_l1": lambda L, x, v, m: L.nn.functional.smooth_l1_loss(x, x.detach()),
    "leaky_relu": lambda L, x, v, m: L.nn.functional.leaky_relu(x, 0.2),
    "layer_norm": lambda L, x, v, m: L.nn.functional.layer_norm(x, (4,)),
    "batch_norm": lambda L, x, v, m: L.nn.functional.batch_norm(x, None, None, training=True),
    "group_norm": lambda L, x, v, m: L.nn.functional.group_norm(x[None], 3),
    "conv2d": lambda L, x, v, m: L.nn.functional.conv2d(x[None, None], m[None, None, :2, :2]),
    "conv1d": lambda L, x, v, m: L.nn.functional.conv1d(x[None], m[:2, :3, None]),
    "max_pool2d": lambda L, x, v, m: L.nn.functional.max_pool2d(m[None, None], 2),
    "avg_pool2d": lambda L, x, v, m: L.nn.functional.avg_pool2d(m[None, None], 2),
    "adaptive_avg_1": lambda L, x, v, m: L.nn.functional.adaptive_avg_pool2d(m[None, None], 1),
    "adaptive_avg_2": lambda L, x, v, m: L.nn.functional.adaptive_avg_pool2d(m[None, None], 2),
    "dropout": lambda L, x, v, m: L.nn.functional.dropout(x, 0.5),
    "embedding": lambda L, x, v, m: L.nn.functional.embedding(L.tensor([1, 0]), m),
    "mul_": lambda L, x, v, m: (x * 1).mul_(2),
}


def _node_of(L, case):
    L.manual_seed(0)
    x = L.rand(3, 4, requires_grad=True)
    v = L.rand(4, requires_grad=True)
    m = L.rand(4, 4, requires_grad=True)
    return NODES[case](L, x, v, m)


@pytest.mark.parametrize("case", list(NODES))
def test_a_torch_program_sees_torchs_node_names(case):
    theirs = _node_of(torch, case)
    with torch_program():
        ours = _node_of(tg, case)
        assert ours.grad_fn.name() == theirs.grad_fn.name()
        pattern = re.escape(f"<{theirs.grad_fn.name()} object at 0x") + "[0-9a-f]+>"
        assert re.fullmatch(pattern, repr(ours.grad_fn))
        assert f"grad_fn=<{theirs.grad_fn.name()}>" in repr(ours)
    assert "Backward0" not in ours.grad_fn.name()       # the library's own names stay


def test_node_names_outside_a_torch_program_and_of_custom_functions():
    x = tg.ones(2, requires_grad=True)
    assert repr(x * 2) == "tensor([2., 2.], grad_fn=<MulBackward>)"
    assert repr((x * 2).grad_fn) == "<MulBackward>" and tg.ops.Mul.name() == "MulBackward"

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    with torch_program():
        y = Square.apply(x)
        assert y.grad_fn.name() == "SquareBackward"
        assert repr(y) == "tensor([1., 1.], grad_fn=<SquareBackward>)"
        assert repr(y.grad_fn).startswith("<torch.autograd.function.SquareBackward object at")
        z = x.clone()
        z[0] = 5.0
        assert repr(z) == "tensor([5., 1.], grad_fn=<CopySlices>)"
        assert z.grad_fn.name() == "torch::autograd::CopySlices"
        assert tg.ops.Mul.name() == "MulBackward0"
    assert repr(y) == "tensor([1., 1.], grad_fn=<SquareBackward>)"


# ------------------------------------------------------------------------------ messages
AUTOGRAD_ERRORS = [
    lambda L: L.tensor([1, 2], requires_grad=True),
    lambda L: L.ones(2, dtype=L.int64, requires_grad=True),
    lambda L: L.arange(3, requires_grad=True),
    lambda L: L.tensor([1, 2]).requires_grad_(),
    lambda L: setattr(L.tensor([1]), "requires_grad", True),
    lambda L: (L.ones(3, requires_grad=True) * 2).backward(),
    lambda L: _twice(L),
]


def _twice(L):
    t = L.tensor([1.0, 2.0], requires_grad=True)
    s = (t ** 2).sum()
    s.backward()
    s.backward()


@pytest.mark.parametrize("i", range(len(AUTOGRAD_ERRORS)))
def test_autograd_errors_say_what_torch_says(i):
    ours, theirs = both(lambda L: error_of(lambda: AUTOGRAD_ERRORS[i](L)))
    assert theirs is not None and ours == theirs


NUMPY_DATA = [np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1, 2, 3]), np.array([True, False]),
              np.array(2.5), np.array(4), np.int64(3), np.ones(3, np.float32),
              np.arange(8.0, dtype=np.float32)[::2], np.array([[1.5]], np.float16),
              np.zeros((0, 2), np.uint8),
              np.array([np.nan, -0.0, np.inf, 1e40, -1e-46, 3.0000001, 2.0 ** 40])]


@pytest.mark.parametrize("inside", [True, False], ids=["torch program", "library"])
@pytest.mark.parametrize("data", NUMPY_DATA,
                         ids=lambda d: f"{type(d).__name__}-{d.dtype}-{d.shape}")
def test_tensor_of_numpy_data_is_torchs_legacy_constructor(data, inside):
    # the default float dtype, the array itself when it has that dtype (a write shows), a
    # converted copy otherwise (a write does not show), an integer 0-d one a size: in a torch
    # program and in the library's own code alike; tensor() and from_numpy keep the dtype
    theirs = torch.Tensor(data)
    with (torch_program() if inside else contextlib.nullcontext()), \
            warnings.catch_warnings():
        warnings.simplefilter("error")                 # (torch casts 1e40 to inf quietly)
        ours = tg.Tensor(data)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1] == "float32"
    if np.ndim(data) == 0 and np.asarray(data).dtype.kind in "iu":
        return                                   # (torch's are uninitialised numbers)
    assert np.array_equal(ours.numpy().view(np.uint32), theirs.numpy().view(np.uint32))
    shared = isinstance(data, np.ndarray) and data.dtype == np.float32 and data.size
    assert bool(np.shares_memory(ours.numpy(), data)) == bool(shared)
    if isinstance(data, np.ndarray):
        assert tg.from_numpy(data).array is data
        kept = tg.tensor(data)
        assert kept.dtype == data.dtype and not np.shares_memory(kept.numpy(), data)


def test_an_import_swapped_program_gets_float32_from_numpy_data():
    """``import tinygrad_sgd as torch``: ``torch.Tensor(X)`` of float64 data goes into a
    float32 Linear as in torch, and int labels become float32 targets for MSE."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    theirs = torch.nn.Linear(3, 1)
    ours = nn.Linear(3, 1)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    losses = []
    for L, layer in ((tg, ours), (torch, theirs)):
        out = layer(L.Tensor(X)).squeeze(1)
        target = L.Tensor(y)
        assert str(out.dtype) == str(target.dtype) == f"{L.__name__}.float32"
        losses.append(L.nn.functional.mse_loss(out, target).item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)


def test_default_dtype_and_library_made_tensors_in_a_torch_program():
    f32, f64 = np.ones(2, np.float32), np.ones(2)
    with torch_program():
        tg.set_default_dtype(tg.float64)
        try:
            assert tg.Tensor(f32).dtype == tg.float64 and tg.Tensor(f64).array is f64
        finally:
            tg.set_default_dtype(tg.float32)
        # what the library makes for itself keeps its dtype: float64 layers, from_numpy, results
        layer = nn.Linear(2, 1, dtype=tg.float64)
        x = tg.from_numpy(f64)
        assert layer.weight.dtype == tg.float64 and x.dtype == tg.float64
        assert (layer(x[None]) * 2).dtype == tg.float64 and (x + 1).dtype == tg.float64
