"""torch.autograd.functional and torch.func against torch: values, output structure (tuple vs
Tensor, pytrees), shapes, requires_grad of the results, differentiating results made with
create_graph again, composed transforms, and the errors of misuse."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF
import torch.func as TF

import tinygrad_sgd as tg
import tinygrad_sgd.func as GF
from tinygrad_sgd.autograd import functional as GAF
from tests.strategies import assert_same

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=1e-5)}


def make(arrays, requires_grad=False, dtype=np.float64):
    """The same inputs for both libraries (a tuple of arrays stays a tuple)."""
    single = not isinstance(arrays, tuple)
    arrays = (arrays,) if single else arrays
    ours = tuple(tg.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays)
    theirs = tuple(torch.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays)
    return (ours[0], theirs[0]) if single else (ours, theirs)


def same_tree(ours, theirs, tol, what="result", check_requires_grad=True):
    """Same nesting (tuple / list / dict), same values, same requires_grad."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"{what}: {type(ours)} where torch has a Tensor"
        assert_same(ours, theirs, what=what, **tol)
        assert ours.requires_grad == theirs.requires_grad or not check_requires_grad, \
            f"{what}: requires_grad differs"
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), what
        for k in theirs:
            same_tree(ours[k], theirs[k], tol, f"{what}[{k!r}]", check_requires_grad)
    else:
        assert type(ours) is type(theirs) and len(ours) == len(theirs), \
            f"{what}: {type(ours)} of {len(ours)} vs torch's {type(theirs)} of {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same_tree(a, b, tol, f"{what}[{i}]", check_requires_grad)


def leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in leaves(t)]
    if isinstance(tree, dict):
        return [x for t in tree.values() for x in leaves(t)]
    return [tree]


def same_second_order(ours, theirs, inputs, tol):
    """Differentiate a weighted sum of every result again, w.r.t. the original inputs."""
    outs, touts = leaves(ours), leaves(theirs)
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(t.shape) for t in touts]
    pairs = [(o, t, w) for o, t, w in zip(outs, touts, ws) if t.requires_grad]
    assert len(pairs) == sum(o.requires_grad for o in outs) and pairs
    ours_in, their_in = inputs
    ours_in = ours_in if isinstance(ours_in, tuple) else (ours_in,)
    their_in = their_in if isinstance(their_in, tuple) else (their_in,)
    s = sum((o * tg.tensor(w.astype(o.numpy().dtype))).sum() for o, _, w in pairs)
    ts = sum((t * torch.tensor(w, dtype=t.dtype)).sum() for _, t, w in pairs)
    g = tg.autograd.grad(s, ours_in, allow_unused=True, materialize_grads=True)
    tgr = torch.autograd.grad(ts, their_in, allow_unused=True, materialize_grads=True)
    for a, b in zip(g, tgr):
        assert_same(a, b, what="second order", **tol)


# ---------------------------------------------------------------------- the functions
R = np.random.default_rng(0)
A3, B3, A43, A23 = R.standard_normal(3), R.standard_normal(3), R.standard_normal((4, 3)), \
    R.standard_normal((2, 3))

FUNCS = {   # name: (fn(lib) -> callable, inputs)
    "vector": (lambda lib: lambda x: x.sin() * x.exp(), A3),
    "rows": (lambda lib: lambda x: x.exp().sum(1), A43),
    "scalar": (lambda lib: lambda x: (x.tanh() ** 2).sum(), A3),
    "scalar0d": (lambda lib: lambda x: (x * x).sin() * x, np.array(0.7)),
    "tuple_in": (lambda lib: lambda a, b: (a * b.sin()).sum(), (A3, B3)),
    "tuple_inout": (lambda lib: lambda a, b: (a * b, (a.exp() + b).sum()), (A3, B3)),
    "matmul": (lambda lib: lambda w, x: (w @ x).tanh(), (A23, A3)),
    "unused_input": (lambda lib: lambda a, b: a.exp(), (A3, B3)),
    "const_output": (lambda lib: lambda a, b: (a.exp(), lib.ones(2, dtype=a.dtype)), (A3, B3)),
    "linear": (lambda lib: lambda a, b: (2 * a + 3 * b).sum(), (A3, B3)),
}
SCALAR = ["scalar", "scalar0d", "tuple_in", "linear"]
DTYPES = [np.float64, np.float32]


def run_both(api, name, dtype, create_graph, needs_v=None, check_requires_grad=True, **kw):
    fn, arrays = FUNCS[name]
    ours_in, their_in = make(arrays, requires_grad=create_graph, dtype=dtype)
    args = [ours_in], [their_in]
    if needs_v is not None:
        v = needs_v(arrays)
        ov, tv = make(v, dtype=dtype)
        args[0].append(ov)
        args[1].append(tv)
    ours = getattr(GAF, api)(fn(tg), *args[0], create_graph=create_graph, **kw)
    theirs = getattr(TAF, api)(fn(torch), *args[1], create_graph=create_graph, **kw)
    same_tree(ours, theirs, TOL[dtype], api, check_requires_grad)
    if create_graph and any(t.requires_grad for t in leaves(theirs)):
        same_second_order(ours, theirs, (ours_in, their_in), TOL[dtype])


def random_like(arrays):
    """A random ``v`` of the form of ``arrays`` (a tuple or one array)."""
    return (tuple(R.standard_normal(np.shape(x)) for x in arrays) if isinstance(arrays, tuple)
            else R.standard_normal(np.shape(arrays)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(FUNCS))
def test_jacobian(name, create_graph, dtype):
    run_both("jacobian", name, dtype, create_graph)


@pytest.mark.parametrize("kw", [dict(vectorize=True),
                                dict(vectorize=True, strategy="forward-mode")])
@pytest.mark.parametrize("name", ["tuple_inout", "matmul", "unused_input", "rows"])
def test_jacobian_vectorize_and_forward_mode(name, kw):
    run_both("jacobian", name, np.float64, False, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", SCALAR)
def test_hessian(name, create_graph, dtype):
    run_both("hessian", name, dtype, create_graph)
    if not create_graph:
        # torch's forward-over-reverse Hessian keeps a graph to its internal copies of the
        # inputs (requires_grad=True); ours is computed in reverse mode and has none
        run_both("hessian", name, dtype, False, vectorize=True,
                 outer_jacobian_strategy="forward-mode", check_requires_grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", ["vector", "rows", "tuple_in", "tuple_inout", "matmul",
                                  "unused_input", "const_output"])
@pytest.mark.parametrize("api", ["vjp", "jvp"])
def test_vjp_jvp(api, name, create_graph, dtype):
    v = random_like
    if api == "vjp":     # shaped like the outputs
        v = {"vector": lambda a: R.standard_normal(3), "rows": lambda a: R.standard_normal(4),
             "matmul": lambda a: R.standard_normal(2), "tuple_in": lambda a: np.array(1.3),
             "unused_input": lambda a: R.standard_normal(3),
             "tuple_inout": lambda a: (R.standard_normal(3), np.array(0.4)),
             "const_output": lambda a: (R.standard_normal(3), R.standard_normal(2))}[name]
    run_both(api, name, dtype, create_graph, needs_v=v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", SCALAR)
@pytest.mark.parametrize("api", ["vhp", "hvp"])
def test_vhp_hvp(api, name, create_graph, dtype):
    run_both(api, name, dtype, create_graph, needs_v=random_like)


@pytest.mark.parametrize("api,name", [("vjp", "scalar"), ("jvp", "scalar0d"),
                                      ("vhp", "scalar0d"), ("hvp", "scalar0d")])
def test_v_optional_for_one_element(api, name):
    run_both(api, name, np.float64, False)


# ---------------------------------------------------------------------- misuse
def t_ones(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64)


ERRORS = [   # (api, fn(lib), inputs(lib), kwargs(lib))
    ("vjp", lambda lib: lambda a, b: a.exp(), lambda lib: (t_ones(lib, 2), t_ones(lib, 2)),
     lambda lib: dict(v=t_ones(lib, 2), strict=True)),
    ("vjp", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 3))),
    ("vjp", lambda lib: lambda a: (a.exp(), a), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=(t_ones(lib, 2),))),
    ("vjp", lambda lib: lambda a: (a.exp(), a), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=(t_ones(lib, 2), t_ones(lib, 3)))),
    ("vjp", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2), lambda lib: {}),
    ("vjp", lambda lib: lambda a: 3.0, lambda lib: t_ones(lib, 2), lambda lib: {}),
    ("vjp", lambda lib: lambda a: (a, 3.0), lambda lib: t_ones(lib, 2), lambda lib: {}),
    ("vjp", lambda lib: lambda a: a, lambda lib: (t_ones(lib, 2), 1), lambda lib: {}),
    ("vjp", lambda lib: lambda a: a.sum(), lambda lib: [t_ones(lib, 2)], lambda lib: {}),
    ("vjp", lambda lib: lambda a: t_ones(lib, 2), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 2), strict=True)),
    ("jvp", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2), lambda lib: {}),
    ("jvp", lambda lib: lambda a, b: a.exp(), lambda lib: (t_ones(lib, 2), t_ones(lib, 2)),
     lambda lib: dict(v=(t_ones(lib, 2),))),
    ("jvp", lambda lib: lambda a: t_ones(lib, 2) * 1, lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 2), strict=True)),
    ("jacobian", lambda lib: lambda a, b: a.exp(),
     lambda lib: (t_ones(lib, 2), t_ones(lib, 2)), lambda lib: dict(strict=True)),
    ("jacobian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(strategy="sideways")),
    ("jacobian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(strategy="forward-mode")),
    ("jacobian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(strategy="forward-mode", vectorize=True, create_graph=True)),
    ("jacobian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(strategy="forward-mode", vectorize=True, strict=True)),
    ("jacobian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(vectorize=True, strict=True)),
    ("jacobian", lambda lib: lambda a: 2 * a, lambda lib: t_ones(lib, 2),
     lambda lib: dict(strict=True, create_graph=True)),
    ("hessian", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2), lambda lib: {}),
    ("hessian", lambda lib: lambda a: (a.exp().sum(), a), lambda lib: t_ones(lib, 2),
     lambda lib: {}),
    ("hessian", lambda lib: lambda a: (2 * a).sum(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(strict=True)),
    ("hessian", lambda lib: lambda a: a.sum(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(outer_jacobian_strategy="x")),
    ("vhp", lambda lib: lambda a: a.exp(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 2))),
    ("hvp", lambda lib: lambda a: (a.exp().sum(), a), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 2))),
    ("hvp", lambda lib: lambda a: (2 * a).sum(), lambda lib: t_ones(lib, 2),
     lambda lib: dict(v=t_ones(lib, 2), strict=True)),
    ("vhp", lambda lib: lambda a: (a ** 2).sum(), lambda lib: t_ones(lib, 2), lambda lib: {}),
]


def same_error(call_ours, call_theirs):
    with pytest.raises(Exception) as theirs:
        call_theirs()
    with pytest.raises(Exception) as ours:
        call_ours()
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    mine = str(ours.value).replace("tinygrad_sgd", "torch")
    assert mine == str(theirs.value), (mine, str(theirs.value))


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_autograd_functional_errors(case):
    api, fn, inputs, kw = ERRORS[case]
    same_error(lambda: getattr(GAF, api)(fn(tg), inputs(tg), **kw(tg)),
               lambda: getattr(TAF, api)(fn(torch), inputs(torch), **kw(torch)))


def test_no_graph_without_create_graph_even_for_inputs_requiring_grad():
    x, xt = make(A3, requires_grad=True)
    out, res = GAF.vjp(lambda a: a.exp(), x, x)
    tout, tres = TAF.vjp(lambda a: a.exp(), xt, xt)
    same_tree((out, res), (tout, tres), TOL[np.float64])


# ====================================================================== torch.func
def tree(arrays, lib, dtype=np.float64, requires_grad=False):
    """Arrays (in tuples / lists / dicts) as ``lib`` tensors."""
    if isinstance(arrays, (tuple, list)):
        return type(arrays)(tree(a, lib, dtype, requires_grad) for a in arrays)
    if isinstance(arrays, dict):
        return {k: tree(a, lib, dtype, requires_grad) for k, a in arrays.items()}
    return lib.tensor(np.asarray(arrays).astype(dtype), requires_grad=requires_grad)


def both_trees(arrays, dtype=np.float64, requires_grad=False):
    return tree(arrays, tg, dtype, requires_grad), tree(arrays, torch, dtype, requires_grad)


F_FUNCS = {   # name: (fn(lib), args) ; scalar outputs, for grad
    "vec": (lambda lib: lambda x: (x.sin() * x).sum(), (A3,)),
    "zero_d": (lambda lib: lambda x: (x * x).sin() * x, (np.array(0.4),)),
    "two": (lambda lib: lambda a, b: (a * b.exp()).sum(), (A3, B3)),
    "unused": (lambda lib: lambda a, b: a.exp().sum(), (A3, B3)),
    "dict": (lambda lib: lambda d, x: (d["w"] @ x).tanh().sum() * d["s"],
             ({"w": A23, "s": np.array(1.5)}, A3)),
    "list": (lambda lib: lambda ws, x: (ws[0] * ws[1] * x).sum(), ([A3, B3], A3)),
}
ARGNUMS = [0, 1, -1, (0, 1), (1, 0)]


def grad_cases():
    for name, (_, args) in F_FUNCS.items():
        for argnums in ARGNUMS:
            if isinstance(argnums, int) and -len(args) <= argnums < len(args) or \
                    isinstance(argnums, tuple) and len(args) > 1:
                yield name, argnums


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_aux", [False, True])
@pytest.mark.parametrize("name,argnums", list(grad_cases()))
@pytest.mark.parametrize("api", ["grad", "grad_and_value"])
def test_grad(api, name, argnums, has_aux, dtype):
    fn, args = F_FUNCS[name]

    def with_aux(lib):
        f = fn(lib)
        return (lambda *a: (f(*a), {"twice": 2 * f(*a), "first": leaves(a)[0]})) if has_aux \
            else f
    ours_args, their_args = both_trees(args, dtype)
    ours = getattr(GF, api)(with_aux(tg), argnums=argnums, has_aux=has_aux)(*ours_args)
    theirs = getattr(TF, api)(with_aux(torch), argnums=argnums, has_aux=has_aux)(*their_args)
    same_tree(ours, theirs, TOL[dtype], api)


def jac_funcs():
    return {   # name: (fn(lib), args) ; any outputs
        "vector": (lambda lib: lambda x: x.sin() * x.exp(), (A3,)),
        "rows": (lambda lib: lambda x: x.exp().sum(1), (A43,)),
        "tuple_out": (lambda lib: lambda a, b: (a * b, (a.exp() + b).sum()), (A3, B3)),
        "dict_out": (lambda lib: lambda a, b: {"p": a @ b, "q": (a * b).tanh()}, (A23, A3)),
        "dict_in": (lambda lib: lambda d, x: (d["w"] @ x).tanh(), ({"w": A23}, A3)),
        "const": (lambda lib: lambda a, b: (a.exp(), lib.ones(2, dtype=a.dtype)), (A3, B3)),
        "zero_d": (lambda lib: lambda x: (x * x).sin() * x, (np.array(0.4),)),
    }


JAC = jac_funcs()


def jac_cases():
    for name, (_, args) in JAC.items():
        for argnums in ([0, -1] if len(args) == 1 else [0, 1, (0, 1), (1,)]):
            yield name, argnums


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_aux", [False, True])
@pytest.mark.parametrize("name,argnums", list(jac_cases()))
@pytest.mark.parametrize("api", ["jacrev", "jacfwd"])
def test_jacrev_jacfwd(api, name, argnums, has_aux, dtype):
    fn, args = JAC[name]
    torch_api = api
    if api == "jacfwd" and argnums == -1:   # torch 2.13's jacfwd ignores a negative int
        torch_api = "jacrev"                # argnums (all zeros): compare with its jacrev

    def with_aux(lib):
        f = fn(lib)
        return (lambda *a: (f(*a), leaves(a)[0].sum())) if has_aux else f
    ours_args, their_args = both_trees(args, dtype)
    ours = getattr(GF, api)(with_aux(tg), argnums, has_aux=has_aux)(*ours_args)
    theirs = getattr(TF, torch_api)(with_aux(torch), argnums, has_aux=has_aux)(*their_args)
    same_tree(ours, theirs, TOL[dtype], api)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_aux", [False, True])
@pytest.mark.parametrize("name", list(JAC))
def test_vjp(name, has_aux, dtype):
    fn, args = JAC[name]

    def with_aux(lib):
        f = fn(lib)
        return (lambda *a: (f(*a), leaves(a)[0].exp())) if has_aux else f
    ours_args, their_args = both_trees(args, dtype)
    ours = GF.vjp(with_aux(tg), *ours_args, has_aux=has_aux)
    theirs = TF.vjp(with_aux(torch), *their_args, has_aux=has_aux)
    same_tree(ours[0], theirs[0], TOL[dtype], "output")
    if has_aux:
        same_tree(ours[2], theirs[2], TOL[dtype], "aux")
    cot = random_like(tuple(leaves(theirs[0])))
    ours_cot = tree(cot, tg, dtype)
    their_cot = tree(cot, torch, dtype)
    # give the cotangents the output's form
    import torch.utils._pytree as pytree
    spec = pytree.tree_structure(theirs[0])
    same_tree(ours[1](pytree.tree_unflatten(list(ours_cot), spec)),
              theirs[1](pytree.tree_unflatten(list(their_cot), spec)), TOL[dtype], "vjp")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_aux", [False, True])
@pytest.mark.parametrize("name", list(JAC))
def test_jvp_and_linearize(name, has_aux, dtype):
    fn, args = JAC[name]

    def with_aux(lib):
        f = fn(lib)
        return (lambda *a: (f(*a), leaves(a)[0].exp())) if has_aux else f
    ours_args, their_args = both_trees(args, dtype)
    tangents = jvp_tangents = tuple(random_like(tuple(leaves(args))))
    import torch.utils._pytree as pytree
    spec = pytree.tree_structure(their_args)
    ours_t = pytree.tree_unflatten(list(tree(jvp_tangents, tg, dtype)), spec)
    their_t = pytree.tree_unflatten(list(tree(tangents, torch, dtype)), spec)
    ours = GF.jvp(with_aux(tg), ours_args, ours_t, has_aux=has_aux)
    theirs = TF.jvp(with_aux(torch), their_args, their_t, has_aux=has_aux)
    same_tree(ours, theirs, TOL[dtype], "jvp")
    if not has_aux and dtype == np.float64 and name in ("vector", "tuple_out"):
        out, jvp_fn = GF.linearize(fn(tg), *ours_args)
        tout, tjvp_fn = TF.linearize(fn(torch), *their_args)
        same_tree(out, tout, TOL[dtype], "linearize output")
        same_tree(jvp_fn(*ours_t), tjvp_fn(*their_t), TOL[dtype], "linearize jvp")


HESS = {   # name: (fn(lib), args, argnums)
    "vec": (lambda lib: lambda x: (x.sin() * x).sum(), (A3,), 0),
    "two_0": (lambda lib: lambda a, b: (a * b.exp() * a).sum(), (A3, B3), 0),
    "two_both": (lambda lib: lambda a, b: (a * b.exp() * a).sum(), (A3, B3), (0, 1)),
    "matrix": (lambda lib: lambda w, x: (w @ x).tanh().sum(), (A23, A3), (0, 1)),
    "dict": (lambda lib: lambda d: (d["a"] * d["b"].sin()).sum(), ({"a": A3, "b": B3},), 0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HESS))
def test_hessian_and_composition(name, dtype):
    fn, args, argnums = HESS[name]
    ours_args, their_args = both_trees(args, dtype)
    same_tree(GF.hessian(fn(tg), argnums)(*ours_args),
              TF.hessian(fn(torch), argnums)(*their_args), TOL[dtype], "hessian")
    same_tree(GF.jacrev(GF.jacrev(fn(tg), argnums), argnums)(*ours_args),
              TF.jacrev(TF.jacrev(fn(torch), argnums), argnums)(*their_args), TOL[dtype],
              "jacrev(jacrev)")
    same_tree(GF.jacfwd(GF.grad(fn(tg), argnums), argnums)(*ours_args),
              TF.jacfwd(TF.grad(fn(torch), argnums), argnums)(*their_args), TOL[dtype],
              "jacfwd(grad)")


COMPOSED = {   # name: (transform(func_module, lib) -> callable, args)
    "grad_grad": (lambda F, lib: F.grad(F.grad(lambda x: (x ** 3).sin())), (np.array(0.8),)),
    "grad_grad_grad": (lambda F, lib: F.grad(F.grad(F.grad(lambda x: (x ** 3).sin()))),
                       (np.array(0.8),)),
    "grad_of_sum_grad": (lambda F, lib: F.grad(lambda x: F.grad(
        lambda y: (y.sin() * y).sum())(x).exp().sum()), (A3,)),
    "closure": (lambda F, lib: F.grad(lambda y: F.grad(
        lambda x: (x * y.exp()).tanh().sum())(y).sum()), (A3,)),
    "grad_of_jvp": (lambda F, lib: F.grad(lambda x: F.jvp(
        lambda z: z.sin() * z, (x,), (x.cos(),))[1].sum()), (A3,)),
    "grad_of_vjp": (lambda F, lib: F.grad(lambda x: F.vjp(
        lambda z: z.exp() * z, x)[1](x.sin())[0].sum()), (A3,)),
    "jacrev_of_grad_argnums": (lambda F, lib: F.jacrev(F.grad(
        lambda a, b: (a * b.sin() * a).sum(), argnums=1), argnums=0), (A3, B3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(COMPOSED))
def test_composed_transforms(name, dtype):
    make_fn, args = COMPOSED[name]
    ours_args, their_args = both_trees(args, dtype)
    same_tree(make_fn(GF, tg)(*ours_args), make_fn(TF, torch)(*their_args), TOL[dtype], name)


@pytest.mark.parametrize("api", ["grad", "jacrev", "jvp", "vjp"])
def test_inputs_requiring_grad_keep_the_graph(api):
    """As in torch, a transform's result hangs on the caller's graph where its inputs require
    grad (then plain autograd differentiates it again), and not under no_grad."""
    f = {"grad": lambda F: F.grad(lambda x: (x.sin() * x).sum()),
         "jacrev": lambda F: F.jacrev(lambda x: x.sin() * x),
         "jvp": lambda F: lambda x: F.jvp(lambda z: z.exp() * z, (x,), (x * 2,))[1],
         "vjp": lambda F: lambda x: F.vjp(lambda z: z.exp() * z, x)[1](x.cos())[0]}[api]
    ours_x, their_x = both_trees(A3, requires_grad=True)
    ours, theirs = f(GF)(ours_x), f(TF)(their_x)
    same_tree(ours, theirs, TOL[np.float64], api)
    same_second_order(ours, theirs, (ours_x, their_x), TOL[np.float64])
    with tg.no_grad():
        ours = f(GF)(ours_x)
    with torch.no_grad():
        theirs = f(TF)(their_x)
    same_tree(ours, theirs, TOL[np.float64], api + " under no_grad")


def mlps():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    ours = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 2)).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("transform", ["grad", "jacrev", "hessian_bias", "tuple_of_dicts"])
def test_functional_call_mlp(transform):
    ours_m, their_m = mlps()
    x = R.standard_normal((5, 3))
    ox, tx = tg.tensor(x), torch.tensor(x)

    def loss(F, lib, model, inp):
        return lambda p: (F.functional_call(model, p, (inp,)) ** 2).mean()

    def params(model):
        return {k: v.detach() for k, v in model.named_parameters()}
    if transform == "grad":
        ours = GF.grad(loss(GF, tg, ours_m, ox))(params(ours_m))
        theirs = TF.grad(loss(TF, torch, their_m, tx))(params(their_m))
    elif transform == "jacrev":
        ours = GF.jacrev(lambda p: GF.functional_call(ours_m, p, ox))(params(ours_m))
        theirs = TF.jacrev(lambda p: TF.functional_call(their_m, p, tx))(params(their_m))
    elif transform == "hessian_bias":
        def split(F, model, inp):
            return lambda b, rest: (F.functional_call(model, ({"2.bias": b}, rest), (inp,))
                                    ** 2).sum()
        rest = {k: v for k, v in params(ours_m).items() if k != "2.bias"}
        trest = {k: v for k, v in params(their_m).items() if k != "2.bias"}
        ours = GF.hessian(split(GF, ours_m, ox), (0, 1))(params(ours_m)["2.bias"], rest)
        theirs = TF.hessian(split(TF, their_m, tx), (0, 1))(params(their_m)["2.bias"], trest)
    else:
        p, tp = params(ours_m), params(their_m)
        first, tfirst = {"0.weight": p.pop("0.weight")}, {"0.weight": tp.pop("0.weight")}
        ours = GF.functional_call(ours_m, (first, p), args=ox, kwargs={})
        theirs = TF.functional_call(their_m, (tfirst, tp), args=tx, kwargs={})
    same_tree(ours, theirs, TOL[np.float64], transform)
    for (name, a), (_, b) in zip(ours_m.named_parameters(), their_m.named_parameters()):
        assert a.grad is None and b.grad is None
        assert_same(a, b, what=name)        # the modules' own parameters are untouched


def fc_errors(F, lib):
    model = (tg if lib is tg else torch).nn.Linear(2, 2)
    w = lib.ones(2, 2)
    return [lambda: F.functional_call(model, ({"weight": w}, {"weight": w}), lib.ones(2)),
            lambda: F.functional_call(model, ({"weight": w}, 3), lib.ones(2)),
            lambda: F.functional_call(model, 3, lib.ones(2)),
            lambda: F.functional_call(model, {"weight": w}, lib.ones(2), strict=True),
            lambda: F.functional_call(model, {"weight": w, "nope": w}, lib.ones(2),
                                      strict=True)]


def func_errors(F, lib):
    x = lib.ones(3, dtype=lib.float64)
    return [
        lambda: F.grad(lambda a: a.sin())(x),
        lambda: F.grad(lambda a: 3.0)(x),
        lambda: F.grad(lambda a: a.sum(), argnums=1)(x),
        lambda: F.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x),
        lambda: F.grad(lambda a, b: a.sum(), argnums=())(x, x),
        lambda: F.grad(lambda a, b: a.sum(), argnums=[0])(x, x),
        lambda: F.grad(lambda a, b: a.sum(), argnums=(0, 1.0))(x, x),
        lambda: F.grad(lambda a: a.sum(), has_aux=True)(x),
        lambda: F.grad(lambda a: a.sum())(3.0),
        lambda: F.vjp(lambda a: (a, a), x)[1](x),
        lambda: F.vjp(lambda a: a.sum(), x, has_aux=True),
        lambda: F.vjp(lambda a: None, x),
        lambda: F.vjp(lambda a: (a, 2), x),
        lambda: F.jvp(lambda a: a, x, x),
        lambda: F.jvp(lambda a: a, (x,), (x, x)),
        lambda: F.jvp(lambda a: a, (x,), (lib.ones(2, dtype=lib.float64),)),
        lambda: F.jvp(lambda a: a * 0 + lib.ones(3, dtype=lib.float64).detach(), (x,), (x,),
                      strict=False) and F.jvp(lambda a: lib.ones(3), (x,), (x,), strict=True),
        lambda: F.jvp(lambda a: a, (), ()),
        lambda: F.jvp(lambda a: (a, 1), (x,), (x,)),
        lambda: F.jacrev(lambda a: a, chunk_size=0),
        lambda: F.jacfwd(lambda a: a, randomness="sometimes")(x),
        lambda: F.jacrev(lambda a: a, argnums=2)(x),
        lambda: F.linearize(lambda a: a.sin(), x)[1](lib.ones(2, dtype=lib.float64)),
        lambda: F.linearize(lambda a: a.sin(), x)[1](x, x),
    ] + fc_errors(F, lib)


@pytest.mark.parametrize("case", range(len(func_errors(GF, tg))))
def test_func_errors(case):
    same_error(func_errors(GF, tg)[case], func_errors(TF, torch)[case])


@pytest.mark.parametrize("ours,theirs", [(GAF, TAF), (GF, TF)], ids=["autograd.functional",
                                                                    "func"])
def test_signatures_match_torch(ours, theirs):
    import inspect
    for name in ours.__all__:
        a, b = inspect.signature(getattr(ours, name)), inspect.signature(getattr(theirs, name))
        assert [(p.name, p.kind, p.default) for p in a.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in b.parameters.values()], name


X4, T4, W4 = R.standard_normal((2, 3, 4, 4)), R.standard_normal((2, 3, 4, 4)), \
    R.standard_normal((2, 3, 3, 3))
NN_OPS = {   # jvp's double-backward trick needs each op's backward to be linear and
    # differentiable in its incoming gradient: checked over a range of nn ops
    "relu": lambda L, F, a: F.relu(a),
    "softmax": lambda L, F, a: F.softmax(a, dim=1),
    "conv2d": lambda L, F, a: F.conv2d(a, L.tensor(W4), padding=1),
    "max_pool2d": lambda L, F, a: F.max_pool2d(a, 2),
    "layer_norm": lambda L, F, a: F.layer_norm(a, (4,)),
    "batch_norm": lambda L, F, a: F.batch_norm(a, None, None, training=True),
    "index_cat": lambda L, F, a: L.cat([a[:, 1, ::2, [0, 3]], a[:, 0, 1:3, :2] * 2], 1),
    "cross_entropy": lambda L, F, a: F.cross_entropy(a.reshape(2, -1)[:, :7],
                                                     L.tensor(np.array([1, 3]))),
}


@pytest.mark.parametrize("name", list(NN_OPS))
def test_jvp_through_nn_ops(name):
    import torch.nn.functional as TNF
    import tinygrad_sgd.nn.functional as GNF
    op = NN_OPS[name]
    ours = GF.jvp(lambda a: op(tg, GNF, a), (tg.tensor(X4),), (tg.tensor(T4),))
    theirs = TF.jvp(lambda a: op(torch, TNF, a), (torch.tensor(X4),), (torch.tensor(T4),))
    same_tree(ours, theirs, TOL[np.float64], name)
    ours = GAF.jvp(lambda a: op(tg, GNF, a), tg.tensor(X4), tg.tensor(T4))
    theirs = TAF.jvp(lambda a: op(torch, TNF, a), torch.tensor(X4), torch.tensor(T4))
    same_tree(ours, theirs, TOL[np.float64], name)
