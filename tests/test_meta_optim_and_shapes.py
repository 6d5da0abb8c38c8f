"""The meta device against torch's, where the meta tests before left gaps: every optimizer's
step on meta parameters (its state's devices, shapes and dtypes, and the optimizers whose
update reads a number with ``.item()`` and so fails on meta), the ``*_as`` functions that take
only another tensor's shape (any device), and gradients made with ``create_graph``."""
import pytest

import tinygrad_sgd

torch = pytest.importorskip("torch")

LIBS = (tinygrad_sgd, torch)

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "RMSprop", "Rprop",
              "NAdam", "RAdam", "ASGD", "Adafactor", "LBFGS", "Muon"]


def _state(L, name, with_cpu_param):
    p = L.nn.Parameter(L.randn(3, 4, device="meta"))
    q = L.nn.Parameter(L.ones(3, 4))
    opt = getattr(L.optim, name)([q, p] if with_cpu_param else [p], lr=0.1)
    p.grad = L.randn(3, 4, device="meta")
    q.grad = L.ones(3, 4)
    error = None
    try:
        for _ in range(2):
            opt.step((lambda: (p * 1).sum()) if name == "LBFGS" else None)
    except RuntimeError as e:
        error = str(e)
    state = sorted((k, str(v.device), tuple(v.shape), str(v.dtype).split(".")[-1])
                   for k, v in opt.state[p].items() if hasattr(v, "device"))
    changed = not bool((q.detach() == 1).all()) if with_cpu_param else None
    return error, state, changed, str(p.device)


@pytest.mark.parametrize("with_cpu_param", [False, True], ids=["meta", "meta_and_cpu"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_step_on_meta_parameters(name, with_cpu_param):
    if name == "LBFGS" and with_cpu_param:
        pytest.skip("LBFGS takes one parameter group of one device")
    assert _state(tinygrad_sgd, name, with_cpu_param) == _state(torch, name, with_cpu_param)


def test_the_item_refusal_is_torchs():
    error = _state(tinygrad_sgd, "ASGD", False)[0]
    assert error == "Tensor.item() cannot be called on meta tensors"


SHAPES = [
    ("view_as", lambda a, b: a.view_as(b)), ("reshape_as", lambda a, b: a.reshape_as(b)),
    ("expand_as", lambda a, b: a[0:1].expand_as(b)), ("type_as", lambda a, b: a.type_as(b)),
    ("view_as_expanded", lambda a, b: a.view_as(b[0:1].expand(3, 4))),
]


def _shaped(L, make, first, second):
    a = L.randn(3, 4, device=first) if first == "meta" else L.ones(3, 4)
    b = L.randn(3, 4, device=second) if second == "meta" else L.ones(3, 4, dtype=L.float64)
    try:
        r = make(a, b)
    except (RuntimeError, NotImplementedError) as e:
        return type(e).__name__, str(e)
    return str(r.device), tuple(r.shape), str(r.dtype).split(".")[-1]


@pytest.mark.parametrize("devices", [("meta", "cpu"), ("cpu", "meta")], ids=["meta_cpu", "cpu_meta"])
@pytest.mark.parametrize("name,make", SHAPES, ids=[s[0] for s in SHAPES])
def test_shape_of_a_tensor_on_another_device(name, make, devices):
    assert _shaped(tinygrad_sgd, make, *devices) == _shaped(torch, make, *devices)


# A meta node knows which inputs its op saved, not which of them each gradient's formula
# reads: it links every gradient to all of them. So matmul's second derivatives (the gradient
# for y reads x only: torch's derivative of it for y is unused) are not compared, and ops
# whose saved inputs no gradient needs (``x * 2``, ``mean``) are left out: there torch's
# gradient needs no grad, and ours says it does (meta_grad.MetaBackward._link_gradient).
GRAPHS = [
    ("mul_self", lambda x, y: (x * x).sum(), "x"), ("add", lambda x, y: (x + y).sum(), "x"),
    ("exp", lambda x, y: x.exp().sum(), "x"), ("matmul", lambda x, y: (x @ y.t()).sum(), "y"),
    ("linear", lambda x, y: tinygrad_sgd.nn.functional.linear(x, y).tanh().sum()
     if isinstance(x, tinygrad_sgd.Tensor) else torch.nn.functional.linear(x, y).tanh().sum(),
     "x"),
    ("sum", lambda x, y: x.sum(), "x"),
]


def _create_graph(L, f, wrt, how):
    x = L.randn(3, 4, device="meta", requires_grad=True)
    y = L.randn(3, 4, device="meta", requires_grad=True)
    target = x if wrt == "x" else y
    if how == "grad":
        g, = L.autograd.grad(f(x, y), target, create_graph=True)
    else:
        f(x, y).backward(create_graph=True)
        f(x, y).backward(create_graph=True)
        g = target.grad
    second = None
    if g.requires_grad and f is not GRAPHS[3][1]:
        again = L.autograd.grad(g.sum(), (x, y), allow_unused=True)
        second = [None if a is None else tuple(a.shape) for a in again]
    return g.requires_grad, g.grad_fn is not None, str(g.device), tuple(g.shape), second


@pytest.mark.parametrize("how", ["grad", "backward"])
@pytest.mark.parametrize("name,f,wrt", GRAPHS, ids=[g[0] for g in GRAPHS])
def test_create_graph_gradients_keep_a_graph(name, f, wrt, how):
    assert _create_graph(tinygrad_sgd, f, wrt, how) == _create_graph(torch, f, wrt, how)
