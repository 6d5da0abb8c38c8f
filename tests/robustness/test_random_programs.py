"""Random programs against torch: hypothesis writes a small program — a DAG of operations on
one to three leaf tensors, reusing intermediate results, broadcasting, reducing, reshaping and
multiplying matrices — and it runs twice, on tinygrad_sgd and on torch (float64). Every
intermediate value and the gradient of every leaf must agree.

A program is a list of instructions ``(op, argument indices, options)``; values are numbered
in order (leaves first), so any instruction may use any earlier value, any number of times.
Operations are chosen only where they are defined and smooth enough to compare: ``exp`` of a
bounded input (``exp(tanh x)``), ``log`` and ``sqrt`` of ``1 + x²``, denominators ``1 + y²``,
``max`` along a dim of values made distinct by a fixed ramp.

Ties, kinks, NaN/inf, size-0 dims, the whole op surface, in-place edits between forward and
backward and second order: test_random_programs_surface.py.
"""
import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg

UNARY = ["exp_tanh", "tanh", "sigmoid", "relu", "abs", "neg", "square", "log1p_sq",
         "sqrt1p_sq", "scale"]
BINARY = ["add", "sub", "mul", "div"]
REDUCE = ["sum", "mean", "max"]


def broadcast(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def matmul_shape(a, b):
    """Shape of ``x @ y.mT`` for shapes a, b (None when it is not defined)."""
    if len(a) < 2 or len(b) < 2 or a[-1] != b[-1]:
        return None
    batch = broadcast(a[:-2], b[:-2])
    return None if batch is None else batch + (a[-2], b[-2])


@st.composite
def programs(draw, max_leaves=3, max_steps=10):
    """(leaf arrays, instructions, constants) — see the module docstring."""
    base = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    leaves = []
    for _ in range(draw(st.integers(1, max_leaves))):
        # a shape broadcastable with the base: some leading dims dropped, some sides set to 1
        drop = draw(st.integers(0, len(base) - 1))
        shape = tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in base[drop:])
        leaves.append(draw(hnp.arrays(np.float64, shape, elements=st.floats(
            -2, 2, allow_nan=False, allow_subnormal=False))))
    shapes = [a.shape for a in leaves]
    program, constants = [], []
    for _ in range(draw(st.integers(1, max_steps))):
        i = draw(st.integers(0, len(shapes) - 1))
        s = shapes[i]
        kinds = ["unary", "binary", "binary"]
        if s:
            kinds += ["reduce", "reshape"]
        if len(s) >= 2:
            kinds += ["transpose", "matmul"]
        kind = draw(st.sampled_from(kinds))
        if kind == "unary":
            program.append((draw(st.sampled_from(UNARY)), (i,), None))
            shapes.append(s)
        elif kind == "binary":
            partners = [j for j, t in enumerate(shapes) if broadcast(s, t) is not None]
            j = draw(st.sampled_from(partners))          # may be i itself: x ⊕ x
            program.append((draw(st.sampled_from(BINARY)), (i, j), None))
            shapes.append(broadcast(s, shapes[j]))
        elif kind == "reduce":
            op = draw(st.sampled_from(REDUCE))
            dim = draw(st.integers(-len(s), len(s) - 1))
            keepdim = draw(st.booleans())
            extra = None
            if op == "max":                               # a distinct ramp breaks ties
                extra = len(constants)
                constants.append(np.arange(int(np.prod(s)), dtype=np.float64).reshape(s) * 1e-3)
            program.append((op, (i,), (dim, keepdim, extra)))
            kept = tuple(1 if k == dim % len(s) else n for k, n in enumerate(s))
            shapes.append(kept if keepdim else tuple(n for k, n in enumerate(s)
                                                     if k != dim % len(s)))
        elif kind == "reshape":
            n = int(np.prod(s))
            target = draw(st.sampled_from([(n,), s[::-1], (1,) + s, (-1, 1),
                                           tuple(k for k in s if k != 1) or (1,)]))
            program.append(("reshape", (i,), target))
            shapes.append(tuple(np.empty(s).reshape(target).shape))
        elif kind == "transpose":
            d0, d1 = draw(st.lists(st.integers(-len(s), len(s) - 1), min_size=2, max_size=2))
            program.append(("transpose", (i,), (d0, d1)))
            t = list(s)
            t[d0], t[d1] = t[d1], t[d0]
            shapes.append(tuple(t))
        else:
            partners = [j for j, t in enumerate(shapes) if matmul_shape(s, t) is not None]
            j = draw(st.sampled_from(partners))          # includes i: x @ xᵀ
            program.append(("matmul", (i, j), None))
            shapes.append(matmul_shape(s, shapes[j]))
    # the loss weights every value that nothing else used, so every path gets a gradient
    used = {j for _, args, _ in program for j in args}
    sinks = [k for k in range(len(leaves), len(shapes)) if k not in used]
    for k in sinks:
        constants.append(draw(hnp.arrays(np.float64, shapes[k], elements=st.floats(-1, 1))))
    return leaves, program, constants, sinks


def run(lib, leaves, program, constants, sinks):
    """Interpret the program with ``lib`` (tinygrad_sgd or torch); returns (leaves, values,
    loss)."""
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in leaves]
    values = list(xs)
    for op, args, opt in program:
        a = values[args[0]]
        b = values[args[1]] if len(args) > 1 else None
        if op == "exp_tanh":
            v = a.tanh().exp()
        elif op == "tanh":
            v = a.tanh()
        elif op == "sigmoid":
            v = a.sigmoid()
        elif op == "relu":
            v = a.relu()
        elif op == "abs":
            v = a.abs()
        elif op == "neg":
            v = -a
        elif op == "square":
            v = a * a
        elif op == "log1p_sq":
            v = (a * a + 1.0).log()
        elif op == "sqrt1p_sq":
            v = (a * a + 1.0).sqrt()
        elif op == "scale":
            v = 0.5 * a - 0.25
        elif op == "add":
            v = a + b
        elif op == "sub":
            v = a - b
        elif op == "mul":
            v = a * b
        elif op == "div":
            v = a / (b * b + 1.0)
        elif op == "sum":
            v = a.sum(opt[0], keepdim=opt[1])
        elif op == "mean":
            v = a.mean(opt[0], keepdim=opt[1])
        elif op == "max":
            v = (a + lib.tensor(constants[opt[2]])).max(opt[0], keepdim=opt[1])[0]
        elif op == "reshape":
            v = a.reshape(opt)
        elif op == "transpose":
            v = a.transpose(*opt)
        elif op == "matmul":
            v = a @ b.transpose(-1, -2)
        else:
            raise AssertionError(op)
        values.append(v)
    weights = constants[len(constants) - len(sinks):]
    loss = sum((values[k] * lib.tensor(w)).sum() for k, w in zip(sinks, weights))
    return xs, values, loss


def close(a, b, what):
    a = np.asarray(a.data) if isinstance(a, tg.Tensor) else a
    b = b.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape}, torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype}, torch {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=what)


@settings(max_examples=max(150, settings.default.max_examples))  # more with the thorough profile
@given(programs())
def test_random_programs_match_torch(prog):
    leaves, program, constants, sinks = prog
    xs, values, loss = run(tg, leaves, program, constants, sinks)
    assume(all(np.abs(v.data).max(initial=0) < 1e6 for v in values))   # (x² chains)
    txs, tvalues, tloss = run(torch, leaves, program, constants, sinks)
    for k, (v, tv) in enumerate(zip(values, tvalues)):
        close(v, tv, f"value {k} ({program[k - len(leaves)][0] if k >= len(leaves) else 'leaf'})")
    loss.backward()
    tloss.backward()
    for k, (x, tx) in enumerate(zip(xs, txs)):
        if tx.grad is None:
            assert x.grad is None, f"leaf {k}: torch has no gradient, we have one"
        else:
            assert x.grad is not None, f"leaf {k}: torch has a gradient, we have none"
            close(x.grad, tx.grad, f"gradient of leaf {k}")


def test_the_generator_makes_dags_with_reuse_broadcasting_and_every_kind_of_op():
    seen = set()
    reuse = broadcasting = 0

    @settings(max_examples=300, database=None)
    @given(programs())
    def collect(prog):
        nonlocal reuse, broadcasting
        leaves, program, _, _ = prog
        args = [j for _, a, _ in program for j in a]
        reuse += len(args) != len(set(args))
        broadcasting += len({a.shape for a in leaves}) > 1
        seen.update(op for op, _, _ in program)
    collect()
    assert seen == set(UNARY + BINARY + REDUCE + ["reshape", "transpose", "matmul"]), seen
    assert reuse > 30 and broadcasting > 30
