"""Probe 34: PyTorch's recipes and intermediate tutorials that probe 33 did not reach, each a
small program run on real torch and on this library (the module passed in as ``torch``), from
the same seeds, logging what the tutorial would print: values, gradients, dtypes, shapes, flags,
key names and error messages. torch.func beyond the basics (per-sample gradients with
``has_aux`` and ``chunk_size``, ensembles over different minibatches, ``jacrev`` of pytrees,
``linearize``, neural tangent kernels both ways); ``torch.autograd.functional`` with tuples,
``create_graph``, ``strict`` and forward-mode Jacobians; forward-mode AD through modules and
custom Functions; the extending-autograd recipe's ``ctx`` flags; saved-tensor hooks that
"save to disk"; pruning with custom methods and iterative containers; parametrizations with
``right_inverse`` and chains; the scheduler, reproducibility, zeroing-gradients, warm-starting,
state-dict, clipping and module-hook recipes; torch.func's own errors; the graph's node API.

Errors compare by class and torch's first sentence (a shape written ``(4,)`` as the library's
messages do, a node named ``SqrtBackward`` as it is outside the ``tinygrad-sgd run`` runner).

What the probe found apart, fixed: a node's ``_raw_saved_<name>.register_hooks(pack, unpack)``
(the saved-tensors-hooks tutorial) was missing; pack hooks ran with grad mode on and could
change their tensor in place unrefused (torch: grad mode off, and its RuntimeError); a custom
Function's output made in forward was a new Tensor, not forward's own (torch's: ``ctx.result =
out`` is the output, so ``jvp``'s ``gI * ctx.result`` and a double backward through it carry
its graph); a custom Function without ``setup_context``, or without a vmap rule under
``vmap``, ran inside torch.func's transforms where torch refuses it; an ``AccumulateGrad``
node had no ``register_prehook`` / ``register_hook`` and one ``metadata`` dict shared by all;
``register_hook`` on a tensor not requiring grad said "grad", not torch's "gradient".
What is left: the strict xfails at the end (XFAIL)."""
import importlib
import re
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg

real_torch = pytest.importorskip("torch")

F32 = 2.0 ** -23
F64 = 2.0 ** -52


class Log:
    """What a program printed. Tensors become (dtype name, shape, requires_grad, float64
    values); numbers become float64 arrays; strings, bools, None and containers of them are
    kept as they are and compared exactly."""

    def __init__(self):
        self.rows = []

    def __call__(self, label, value):
        self.rows.append((label, _norm(value)))


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _norm(v):
    if isinstance(v, Exception):
        return ("E", type(v).__name__, str(v))
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        return ("T", _dtype_name(v.dtype), tuple(v.shape), bool(v.requires_grad),
                np.asarray(v.detach().numpy(), dtype=np.float64))
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return ("N", np.asarray(v, dtype=np.float64))
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return ("N", np.asarray(v, dtype=np.float64))
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if type(v).__name__ in ("dtype", "DType"):
        return _dtype_name(v)
    raise TypeError(f"log: {type(v)}")


def _diff(a, b, path="", out=None):
    """The worst scaled difference between two normalised rows, or a string on a structural
    mismatch (type, shape, dtype, flag, string)."""
    if out is None:
        out = [0.0]
    if isinstance(a, tuple) and a and a[0] == "T":
        if not (isinstance(b, tuple) and b and b[0] == "T"):
            raise AssertionError(f"{path}: tensor vs {b!r}")
        assert a[1:4] == b[1:4], f"{path}: dtype/shape/requires_grad {a[1:4]} != {b[1:4]}"
        _num(a[4], b[4], path, out)
    elif isinstance(a, tuple) and a and a[0] == "N":
        assert isinstance(b, tuple) and b and b[0] == "N", f"{path}: number vs {b!r}"
        assert a[1].shape == b[1].shape, f"{path}: {a[1]} vs {b[1]}"
        _num(a[1], b[1], path, out)
    elif isinstance(a, tuple) and a and a[0] == "E":
        assert isinstance(b, tuple) and b and b[0] == "E" and a[1] == b[1], f"{path}: {a} {b}"
        assert _first_sentence(b[2]) in a[2], f"{path}: torch: {b[2]!r}\nours:  {a[2]!r}"
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{i}]", out)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: keys {list(a)} vs {b!r}"
        for k in a:
            _diff(a[k], b[k], f"{path}[{k!r}]", out)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"
    return out[0]


def _first_sentence(message):
    """torch's message as ours should contain it: its first sentence, a torch.Size written as
    the tuple it is (the library's messages show shapes so)."""
    message = re.sub(r"torch\.Size\(\[([^\]]*)\]\)",
                     lambda m: repr(tuple(int(n) for n in m.group(1).split(",") if n.strip())),
                     message)
    message = re.sub(r"(\w)Backward\d\b", r"\1Backward", message)   # (a node's name: torch's
    return message.split("\n")[0].split(". ")[0].rstrip(".")          # only under the runner)


def _num(a, b, path, out):
    assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
    same_nan = np.isnan(a) == np.isnan(b)
    assert same_nan.all(), f"{path}: NaNs differ {a} {b}"
    a, b = np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0)
    assert (np.isinf(a) == np.isinf(b)).all() and (a[np.isinf(a)] == b[np.isinf(b)]).all(), \
        f"{path}: infinities differ {a} {b}"
    a, b = np.where(np.isinf(a), 0.0, a), np.where(np.isinf(b), 0.0, b)
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-30)
    out[0] = max(out[0], float(np.max(np.abs(a - b), initial=0.0)) / scale)


# ------------------------------------------- torch.func: per-sample gradients, all the options
def per_sample_grads(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    func = torch.func
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    data, targets = torch.randn(6, 5), torch.randint(0, 3, (6,))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_and_logits(params, sample, target):
        logits = func.functional_call(model, params, (sample.unsqueeze(0),))
        return F.cross_entropy(logits, target.unsqueeze(0)), logits.squeeze(0)

    grads, logits = func.vmap(func.grad(loss_and_logits, has_aux=True),
                              in_dims=(None, 0, 0))(params, data, targets)
    for name, g in grads.items():
        log(f"grad {name}", g)
    log("aux logits", logits)
    (g2, loss) = func.vmap(func.grad_and_value(lambda p, x, y: loss_and_logits(p, x, y)[0]),
                           in_dims=(None, 0, 0), chunk_size=4)(params, data, targets)
    log("chunked grad", g2["2.weight"])
    log("per-sample loss", loss)
    # argnums: the gradient with respect to the sample, too
    gx = func.vmap(func.grad(lambda x, y: loss_and_logits(params, x, y)[0]))(data, targets)
    log("input grad", gx)
    gw, gx2 = func.grad(lambda p, x: F.cross_entropy(
        func.functional_call(model, p, (x,)), targets), argnums=(0, 1))(params, data)
    log("argnums tuple", [gw["0.bias"], gx2])
    # the same by looping the model
    loop = []
    for i in range(len(data)):
        model.zero_grad()
        F.cross_entropy(model(data[i:i + 1]), targets[i:i + 1]).backward()
        loop.append(model[0].weight.grad.clone())
    log("loop agrees", torch.stack(loop))
    # out_dims and in_dims on a dict / a tuple
    out = func.vmap(lambda d: (d["a"] * 2, d["b"].sum()), in_dims=({"a": 0, "b": 1},),
                    out_dims=(1, 0))({"a": torch.ones(3, 2), "b": torch.arange(6.).view(2, 3)})
    log("out_dims", list(out))


# ---------------------------------------------- torch.func: ensembles on different minibatches
def ensembling(torch, log):
    nn = torch.nn
    func = torch.func
    torch.manual_seed(2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 5)
            self.bn = nn.BatchNorm1d(5)
            self.out = nn.Linear(5, 2)

        def forward(self, x):
            return self.out(torch.relu(self.bn(self.fc(x))))

    models = [Net().eval() for _ in range(3)]
    for i, m in enumerate(models):
        m.bn.running_mean.fill_(0.1 * i)
        m.bn.running_var.fill_(1.0 + i)
    params, buffers = func.stack_module_state(models)
    log("buffer names", list(buffers))
    log("stacked var", buffers["bn.running_var"])
    base = Net().eval()

    def fmodel(params, buffers, x):
        return func.functional_call(base, (params, buffers), (x,))

    minibatches = torch.randn(3, 4, 4)
    preds = func.vmap(fmodel)(params, buffers, minibatches)
    log("different minibatches", preds)
    log("model 2 alone", models[2](minibatches[2]))
    same = func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatches[0])
    log("same minibatch", same)
    # gradients through the ensemble reach the stacked leaves
    preds.pow(2).sum().backward()
    log("stacked grad", params["out.weight"].grad)
    log("grad shapes", [tuple(v.grad.shape) for v in params.values()])


# ------------------------------------------------- torch.func: jacobians of pytrees, linearize
def func_transforms(torch, log):
    func = torch.func
    torch.manual_seed(3)
    x = torch.randn(3, dtype=torch.float64)
    y = torch.randn(2, 3, dtype=torch.float64)

    def f(x, y):
        return {"s": (x.sin() * y).sum(0), "p": x.exp().prod()}

    jac = func.jacrev(f, argnums=(0, 1))(x, y)
    log("jacrev dict", {k: list(v) for k, v in jac.items()})
    jf = func.jacfwd(f, argnums=1)(x, y)
    log("jacfwd dict", jf)
    ja, aux = func.jacrev(lambda x: (x.tanh(), x.cos()), has_aux=True)(x)
    log("jacrev aux", [ja, aux])
    log("jacrev chunked", func.jacrev(lambda x: x.outer(x), chunk_size=2)(x))
    log("hessian", func.hessian(lambda x, y: (x.exp() * y).sum(), argnums=(0, 1))(x, y[0]))
    log("jacfwd(jacrev)", func.jacfwd(func.jacrev(lambda x: x.pow(3).sum()))(x))
    out, vjp_fn = func.vjp(lambda x, y: x * y, x, y)
    log("vjp", [out, list(vjp_fn(torch.ones(2, 3, dtype=torch.float64)))])
    out, vjp_fn, aux = func.vjp(lambda x: (x.sin(), x.sum()), x, has_aux=True)
    log("vjp aux", [out, aux, vjp_fn(x)[0]])
    p, t = func.jvp(lambda x, y: (x * y).sum(), (x, y[1]), (torch.ones(3, dtype=torch.float64),
                                                           x))
    log("jvp", [p, t])
    p, t, aux = func.jvp(lambda x: (x.exp(), x.sum()), (x,), (x,), has_aux=True)
    log("jvp aux", [p, t, aux])
    value, jvp_fn = func.linearize(lambda x: x.sin() * x, x)
    log("linearize", [value, jvp_fn(torch.ones(3, dtype=torch.float64)), jvp_fn(x)])
    log("dtype", jac["s"][0].dtype)


# --------------------------------------------------------------- neural tangent kernels
def neural_tangent_kernel(torch, log):
    nn = torch.nn
    func = torch.func
    torch.manual_seed(4)

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 3, 3)
            self.conv2 = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            x = self.conv2(self.conv1(x).relu()).relu()
            x = x.mean(dim=(2, 3))
            return self.fc(x)

    net = CNN().double()
    x_train = torch.randn(3, 1, 6, 6, dtype=torch.float64)
    x_test = torch.randn(2, 1, 6, 6, dtype=torch.float64)
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return func.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    def ntk_jacobian_contraction(fnet_single, params, x1, x2, compute):
        jac1 = func.vmap(func.jacrev(fnet_single), (None, 0))(params, x1)
        jac1 = jac1.values()
        jac1 = [j.flatten(2) for j in jac1]
        jac2 = func.vmap(func.jacrev(fnet_single), (None, 0))(params, x2)
        jac2 = [j.flatten(2) for j in jac2.values()]
        einsum_expr = {"full": "Naf,Mbf->NMab", "trace": "Naf,Maf->NM",
                       "diagonal": "Naf,Maf->NMa"}[compute]
        result = torch.stack([torch.einsum(einsum_expr, j1, j2) for j1, j2 in zip(jac1, jac2)])
        return result.sum(0)

    def ntk_ntk_vps(func_, params, x1, x2, compute="full"):
        def get_ntk(x1, x2):
            def func_x1(params):
                return func_(params, x1)

            def func_x2(params):
                return func_(params, x2)

            output, vjp_fn = func.vjp(func_x1, params)

            def get_ntk_slice(vec):
                vjps = vjp_fn(vec)
                _, jvps = func.jvp(func_x2, (params,), vjps)
                return jvps

            basis = torch.eye(output.numel(), dtype=output.dtype).view(output.numel(), -1)
            return func.vmap(get_ntk_slice)(basis)

        result = func.vmap(func.vmap(get_ntk, (None, 0)), (0, None))(x1, x2)
        if compute == "trace":
            return torch.einsum("NMKK->NM", result)
        return result

    full = ntk_jacobian_contraction(fnet_single, params, x_train, x_test, "full")
    log("ntk full", full)
    log("ntk trace", ntk_jacobian_contraction(fnet_single, params, x_train, x_test, "trace"))
    log("ntk diagonal", ntk_jacobian_contraction(fnet_single, params, x_train, x_test,
                                                 "diagonal"))
    vps = ntk_ntk_vps(fnet_single, params, x_train, x_test)
    log("ntk vps", vps)
    log("vps trace", ntk_ntk_vps(fnet_single, params, x_train, x_test, "trace"))
    log("same", torch.allclose(full, vps, atol=1e-10))


# ------------------------------------------------------------- torch.autograd.functional API
def autograd_functional(torch, log):
    AF = torch.autograd.functional
    torch.manual_seed(5)
    x = torch.randn(3, dtype=torch.float64)
    y = torch.randn(3, dtype=torch.float64)

    def pow_reducer(x):
        return x.pow(3).sum()

    def pow_adder_reducer(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    log("jacobian tuple", list(AF.jacobian(exp_adder, (x, y))))
    log("jacobian fwd", list(AF.jacobian(exp_adder, (x, y), vectorize=True,
                                         strategy="forward-mode")))
    j = AF.jacobian(lambda a: (a.sin(), a.cos().sum()), x, create_graph=True)
    log("jacobian multi-out", list(j))
    log("create_graph", [j[0].requires_grad, j[1].requires_grad])
    log("hessian tuple", [list(r) for r in AF.hessian(pow_adder_reducer, (x, y))])
    log("hessian vectorized fwd", AF.hessian(pow_reducer, x, vectorize=True,
                                             outer_jacobian_strategy="forward-mode").detach())
    # (its requires_grad: see forward_mode_flags)
    v = torch.ones(3, dtype=torch.float64)
    log("vjp", list(AF.vjp(exp_adder, (x, y), v)))
    log("vjp scalar", list(AF.vjp(pow_reducer, x)))
    log("jvp", list(AF.jvp(exp_adder, (x, y), (v, v))))
    log("vhp", list(AF.vhp(pow_adder_reducer, (x, y), (v, v))))
    log("hvp", list(AF.hvp(pow_reducer, x, v)))
    try:
        AF.jacobian(lambda a: torch.ones(2, dtype=torch.float64), x, strict=True)
    except RuntimeError as e:
        log("strict error", e)
    log("non-strict zeros", AF.jacobian(lambda a: torch.ones(2, dtype=torch.float64), x))
    try:
        AF.vjp(exp_adder, (x, y))
    except RuntimeError as e:
        log("vjp v needed", e)
    log("no requires_grad left", [x.requires_grad, y.requires_grad])


# -------------------------------------------------- forward-mode AD tutorial (dual numbers)
def forward_mode_ad(torch, log):
    fwAD = torch.autograd.forward_ad
    nn = torch.nn
    func = torch.func
    torch.manual_seed(6)
    primal = torch.randn(10, 10)
    tangent = torch.randn(10, 10)

    def fn(x, y):
        return x ** 2 + y ** 2

    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        log("tangent is", fwAD.unpack_dual(dual_input).tangent is tangent)
        plain_tensor = torch.randn(10, 10)
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
        p2, t2 = fwAD.unpack_dual(dual_output)
        log("jvp", jvp)
        log("primal", p2)
        log("plain has no tangent", fwAD.unpack_dual(plain_tensor).tangent is None)
    log("outside: no tangent", fwAD.unpack_dual(dual_output).tangent is None)

    model = nn.Linear(5, 5)
    input = torch.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: torch.rand_like(p) for name, p in params.items()}
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        out = model(input)
        jvp = fwAD.unpack_dual(out).tangent
    log("module jvp", jvp.detach())       # (its requires_grad: see forward_mode_flags)

    model = nn.Linear(5, 5)
    dual_params = {}
    with fwAD.dual_level():
        for name, p in params.items():
            dual_params[name] = fwAD.make_dual(p, tangents[name])
        out = func.functional_call(model, dual_params, input)
        jvp2 = fwAD.unpack_dual(out).tangent
    log("functional_call jvp", jvp2.detach())

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            result = torch.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result
            return gO

    x = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
    t = torch.randn(10, 10, dtype=torch.double)
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(x, t)
        dual_output = Fn.apply(dual_input)
        jvp = fwAD.unpack_dual(dual_output).tangent
    log("custom jvp", jvp)                # (requires grad: ctx.result is the output)
    log("gradcheck fwd", torch.autograd.gradcheck(Fn.apply, (x,), check_forward_ad=True,
                                                  check_backward_ad=False,
                                                  check_undefined_grad=False,
                                                  check_batched_grad=False))
    # nested levels are not the tutorial's, but a second level is refused the same way
    with fwAD.dual_level():
        try:
            with fwAD.dual_level():
                pass
        except RuntimeError as e:
            log("nested", e)


# ------------------------------------------------ extending autograd: the ctx recipe's flags
def extending_autograd(torch, log):
    once_differentiable = torch.autograd.function.once_differentiable
    torch.manual_seed(7)

    class LinearFunction(torch.autograd.Function):
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            seen.append(list(ctx.needs_input_grad))
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    seen = []
    inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
    w = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
    b = torch.randn(2, dtype=torch.double)
    log("gradcheck linear", torch.autograd.gradcheck(LinearFunction.apply, (inp, w, b)))
    out = LinearFunction.apply(inp, w, None)
    out.sum().backward()
    log("needs_input_grad", seen[-1])
    log("w grad", w.grad)

    class MulConstant(torch.autograd.Function):
        @staticmethod
        def forward(tensor, constant):
            return tensor * constant

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.constant = inputs[1]

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    a = torch.randn(3, requires_grad=True)
    MulConstant.apply(a, 2.5).sum().backward()
    log("mul constant", a.grad)

    class SortNonDiff(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return out, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            idx, = ctx.saved_tensors
            grad_input = torch.zeros_like(g)
            grad_input.index_add_(0, idx, g)
            return grad_input

    a = torch.randn(5, requires_grad=True)
    out, idx = SortNonDiff.apply(a)
    log("non-diff flags", [out.requires_grad, idx.requires_grad, idx.dtype])
    (out * torch.arange(5.0)).sum().backward()
    log("sort grad", a.grad)

    class NoMaterialize(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            x, = ctx.saved_tensors
            got.append([g1 is None, g2 is None])
            grad = torch.zeros_like(x)
            if g1 is not None:
                grad = grad + g1
            if g2 is not None:
                grad = grad + 2 * g2
            return grad

    got = []
    a = torch.randn(3, requires_grad=True)
    o1, o2 = NoMaterialize.apply(a)
    o1.sum().backward()
    log("unmaterialized", got)
    log("grad", a.grad)

    class Materialize(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            got.append([g1 is None, g2 is None, float(g2.abs().sum())])
            return g1 + g2

    got.clear()
    a.grad = None
    o1, o2 = Materialize.apply(a)
    o1.sum().backward()
    log("materialized", got)

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    a = torch.randn(3, requires_grad=True)
    g, = torch.autograd.grad(Cube.apply(a).sum(), a, create_graph=True)
    log("once grad", g)
    log("once grad flags", [g.requires_grad])
    try:
        g.sum().backward()
    except RuntimeError as e:
        log("once error", e)

    class MarkDirty(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    a = torch.randn(3, requires_grad=True)
    b = a.clone()
    c = MarkDirty.apply(b)
    log("dirty same", c is b)
    c.pow(2).sum().backward()
    log("dirty grad", a.grad)
    try:
        MarkDirty.apply(a)
    except RuntimeError as e:
        log("leaf dirty", e)

    class NonTensorOut(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k, k + 1

        @staticmethod
        def backward(ctx, g, _):
            return g * ctx.k, None

    class KeptOutput(torch.autograd.Function):      # (the output kept on ctx, not saved)
        @staticmethod
        def forward(ctx, x):
            ctx.result = x.exp()
            return ctx.result

        @staticmethod
        def backward(ctx, g):
            return g * ctx.result

    a = torch.randn(3, dtype=torch.double, requires_grad=True)
    o = KeptOutput.apply(a)
    log("returned is kept", [o is o.grad_fn.result if hasattr(o.grad_fn, "result") else None,
                             o.requires_grad])
    g, = torch.autograd.grad(o.sum(), a, create_graph=True)
    log("double backward through it", [g, torch.autograd.grad(g.sum(), a)[0]])
    a = torch.randn(3, requires_grad=True)
    o, k2 = NonTensorOut.apply(a, 3)
    o.sum().backward()
    log("non-tensor out", [k2, a.grad])


# ------------------------------------------------ saved tensors hooks: "saving to disk" et al.
def saved_tensors_hooks_recipe(torch, log):
    torch.manual_seed(8)
    store = {}
    counter = [0]

    def pack_to_store(x):
        counter[0] += 1
        store[counter[0]] = x.detach().clone()
        return counter[0]

    def unpack_from_store(key):
        return store[key]

    x = torch.randn(5, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack_to_store, unpack_from_store):
        y = x.pow(2).sin()
        z = (y * x).sum()
    z.backward()
    log("grad", x.grad)
    log("packed", counter[0])
    # hooks on one saved tensor of one node
    calls = []
    a = torch.randn(4, requires_grad=True)
    b = a.exp()
    b.grad_fn._raw_saved_result.register_hooks(lambda t: calls.append("pack") or t * 1,
                                               lambda t: calls.append("unpack") or t)
    try:
        b.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
    except RuntimeError as e:
        log("hooks twice", e)
    m = a * a.detach()
    m.grad_fn._raw_saved_other.register_hooks(lambda t: t, lambda t: t * 10)
    log("raw other", m.grad_fn._saved_other)     # (_saved_self: see saved_hooks_what_is_packed)
    log("hooked other", torch.autograd.grad(m.sum(), a)[0])
    b.sum().backward()
    log("raw hooks", calls)
    log("exp grad", a.grad)
    try:
        b.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
    except RuntimeError as e:
        log("after release", e)
    # save_on_cpu and disable_saved_tensors_hooks
    with torch.autograd.graph.save_on_cpu(pin_memory=False):
        w = torch.randn(3, 3, requires_grad=True)
        out = (w @ w).tanh().sum()
    out.backward()
    log("save_on_cpu grad", w.grad)
    with torch.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        try:
            with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        except RuntimeError as e:
            log("disabled", e)
    # a pack hook that returns its argument's detached self is fine; modifying in place is not
    v = torch.randn(3, requires_grad=True)

    def bad_pack(t):
        t.mul_(2)
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(bad_pack, lambda t: t):
            (v * v).sum()
    except RuntimeError as e:
        log("in-place pack", e)
    # nesting: the innermost pair applies
    u = torch.randn(3, requires_grad=True)
    order = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: order.append("outer") or t,
                                                  lambda t: t):
        with torch.autograd.graph.saved_tensors_hooks(lambda t: order.append("inner") or t,
                                                      lambda t: t):
            q = (v * u).sin()
        q2 = q.cos()
    (q2.sum()).backward()
    log("nested order", order)
    log("v grad", v.grad)


# ---------------------------------------- pruning: custom methods, iterations, importance
def pruning_recipe(torch, log):
    nn = torch.nn
    prune = importlib.import_module(torch.__name__ + ".nn.utils.prune")
    torch.manual_seed(9)

    class FooBarPruningMethod(prune.BasePruningMethod):
        """Prune every other entry in a tensor."""
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    def foobar_unstructured(module, name):
        FooBarPruningMethod.apply(module, name)
        return module

    lin = nn.Linear(3, 4)
    foobar_unstructured(lin, name="bias")
    log("foobar mask", lin.bias_mask)
    log("hooks", [type(h).__name__ for h in lin._forward_pre_hooks.values()])
    # iterative pruning: a PruningContainer, the second mask only on what the first kept
    conv = nn.Conv2d(2, 4, 3)
    prune.l1_unstructured(conv, name="weight", amount=0.25)
    prune.ln_structured(conv, name="weight", amount=0.5, n=float("inf"), dim=0)
    hook = [h for h in conv._forward_pre_hooks.values()][0]
    log("container", [type(h).__name__ for h in hook])
    log("history", [type(h).__name__ for h in hook._pruning_methods])
    log("zeros per channel", (conv.weight == 0).sum(dim=(1, 2, 3)))
    log("is pruned", [prune.is_pruned(conv), prune.is_pruned(lin), prune.is_pruned(nn.ReLU())])
    prune.random_structured(conv, name="weight", amount=1, dim=1)
    log("random structured", conv.weight_mask.sum(dim=(0, 2, 3)))
    try:
        prune.random_structured(conv, name="bias", amount=1, dim=0)
    except ValueError as e:
        log("structured 1-d", e)
    # importance scores, identity, custom_from_mask, and a count amount
    fc = nn.Linear(4, 3)
    prune.l1_unstructured(fc, "weight", amount=3, importance_scores=torch.arange(12.0).view(3, 4))
    log("importance mask", fc.weight_mask)
    prune.identity(fc, "bias")
    log("identity", fc.bias_mask)
    prune.custom_from_mask(fc, "bias", mask=torch.tensor([0, 1, 1]))
    log("custom bias", fc.bias)
    x = torch.randn(2, 4)
    fc(x).sum().backward()
    log("orig grads", [fc.weight_orig.grad, fc.bias_orig.grad])
    prune.remove(fc, "weight")
    log("after remove", [n for n, _ in fc.named_parameters()])
    log("buffers", [n for n, _ in fc.named_buffers()])
    a, b, c = nn.Linear(3, 3), nn.Linear(3, 2), nn.Linear(2, 2)
    prune.global_unstructured([(a, "weight"), (b, "weight"), (c, "bias")],
                              pruning_method=prune.L1Unstructured, amount=5,
                              importance_scores={(c, "bias"): torch.tensor([10.0, 0.0])})
    log("global", [a.weight_mask.sum(), b.weight_mask.sum(), c.bias_mask])
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.RandomUnstructured, amount=0.3)
    log("global random", [a.weight_mask, b.weight_mask])
    sd = a.state_dict()
    log("state keys", list(sd))
    try:
        prune.l1_unstructured(fc, "weight", amount=1.5)
    except ValueError as e:
        log("bad amount", e)
    try:
        prune.l1_unstructured(fc, "weight", amount=100)
    except ValueError as e:
        log("too many", e)
    try:
        prune.remove(lin, "weight")
    except ValueError as e:
        log("not pruned", e)


# ------------------------------------------------------ parametrizations: the full tutorial
def parametrizations_tutorial(torch, log):
    nn = torch.nn
    P = importlib.import_module(torch.__name__ + ".nn.utils.parametrize")
    torch.manual_seed(10)

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

    class CayleyMap(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("Id", torch.eye(n))

        def forward(self, X):
            return torch.linalg.solve(self.Id - X, self.Id + X)

    class MatrixExponential(nn.Module):
        def forward(self, X):
            return torch.matrix_exp(X)

        def right_inverse(self, A):
            return torch.zeros_like(A)

    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", Skew())
    X = layer.weight
    log("skew", X)
    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", Skew())
    P.register_parametrization(layer, "weight", CayleyMap(3))
    Q = layer.weight
    log("cayley orthogonal", Q.T @ Q)
    log("param names", [n for n, _ in layer.named_parameters()])
    log("state keys", list(layer.state_dict()))
    log("modules", [type(m).__name__ for m in layer.parametrizations.weight])
    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", Symmetric())
    A = torch.rand(3, 3)
    A = A + A.T
    layer.weight = A
    log("assigned", torch.dist(A, layer.weight))
    log("original", layer.parametrizations.weight.original)
    layer_orthogonal = nn.Linear(3, 3)
    P.register_parametrization(layer_orthogonal, "weight", MatrixExponential())
    log("expm identity", layer_orthogonal.weight)
    X = torch.rand(3, 3)
    X = X - X.T
    layer_orthogonal.weight = X
    log("zero original", layer_orthogonal.parametrizations.weight.original)
    # right_inverse returning several tensors: original0, original1
    class Split(nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    lin = nn.Linear(2, 2)
    w0 = lin.weight.detach().clone()
    P.register_parametrization(lin, "weight", Split())
    log("originals", [lin.parametrizations.weight.original0,
                      lin.parametrizations.weight.original1])
    log("same weight", torch.allclose(lin.weight, w0))
    # unsafe=True: a parametrization changing the shape
    class Project(nn.Module):
        def forward(self, X):
            return X[:, :2]

    lin2 = nn.Linear(3, 4)
    P.register_parametrization(lin2, "weight", Project(), unsafe=True)
    log("unsafe shape", tuple(lin2.weight.shape))
    try:
        P.register_parametrization(nn.Linear(3, 4), "weight", Project())
    except ValueError as e:
        log("safe refusal", e)
    # caching and optimisation
    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", Symmetric())
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    x = torch.randn(4, 3)
    for _ in range(2):
        with P.cached():
            loss = (layer(x) ** 2).sum() + layer.weight.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    log("trained symmetric", layer.weight)
    # removing
    P.remove_parametrizations(layer, "weight", leave_parametrized=True)
    log("removed", [n for n, _ in layer.named_parameters()])
    log("kept symmetric", layer.weight)
    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", Symmetric())
    P.remove_parametrizations(layer, "weight", leave_parametrized=False)
    log("unparametrized", layer.weight)
    # the library's own parametrizations
    o = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley")
    log("cayley", o.weight @ o.weight.T)
    o = nn.utils.parametrizations.orthogonal(nn.Linear(4, 3), orthogonal_map="householder")
    log("householder", o.weight.T @ o.weight)
    o = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="matrix_exp")
    log("matrix_exp", o.weight)
    sn = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3))
    log("spectral", torch.linalg.matrix_norm(sn.weight, 2))
    log("spectral buffers", [n for n, _ in sn.named_buffers()])


# ------------------------------------------------------------------- learning-rate schedulers
def scheduler_recipe(torch, log):
    S = torch.optim.lr_scheduler
    torch.manual_seed(11)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    sched = S.SequentialLR(opt, schedulers=[S.LinearLR(opt, start_factor=0.1, total_iters=3),
                                            S.StepLR(opt, step_size=2, gamma=0.5)],
                           milestones=[3])
    lrs = []
    for epoch in range(8):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    log("sequential", lrs)
    opt = torch.optim.SGD([{"params": model.weight}, {"params": model.bias, "lr": 0.1}],
                          lr=1.0, momentum=0.9)
    lam = S.LambdaLR(opt, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)])
    out = []
    for epoch in range(4):
        opt.step()
        lam.step()
        out.append(lam.get_last_lr())
    log("lambda groups", out)
    log("lambda state keys", sorted(lam.state_dict()))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    s1 = S.ExponentialLR(opt, gamma=0.9)
    s2 = S.MultiStepLR(opt, milestones=[2, 3], gamma=0.1)
    out = []
    for epoch in range(5):
        opt.step()
        s1.step()
        s2.step()
        out.append([s1.get_last_lr()[0], s2.get_last_lr()[0], opt.param_groups[0]["lr"]])
    log("two schedulers", out)
    log("last_epoch", [s1.last_epoch, s2.last_epoch])
    log("initial_lr", opt.param_groups[0]["initial_lr"])
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    lin = S.LinearLR(opt, start_factor=1.0, end_factor=0.25, total_iters=4)
    cos = S.CosineAnnealingLR(opt, T_max=3)
    ch = S.ChainedScheduler([lin, cos], optimizer=opt)
    out = []
    for _ in range(6):
        opt.step()
        ch.step()
        out.append(ch.get_last_lr()[0])
    log("chained", out)
    # stepping the scheduler first warns
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    st = S.StepLR(opt, step_size=1, gamma=0.5)
    st.step()
    log("early step lr", opt.param_groups[0]["lr"])
    # warm-up then plateau
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    plateau = S.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    out = []
    for val in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7]:
        opt.step()
        plateau.step(val)
        out.append(opt.param_groups[0]["lr"])
    log("plateau", out)
    log("plateau state", {k: v for k, v in plateau.state_dict().items()
                          if k in ("best", "num_bad_epochs", "last_epoch", "cooldown_counter")})
    try:
        S.SequentialLR(opt, schedulers=[S.ConstantLR(opt)], milestones=[1, 2])
    except ValueError as e:
        log("milestones error", e)


# --------------------------------------------------------------------------- reproducibility
def reproducibility(torch, log):
    data_utils = importlib.import_module(torch.__name__ + ".utils.data")
    torch.manual_seed(12)
    torch.use_deterministic_algorithms(True)
    try:
        log("deterministic", [torch.are_deterministic_algorithms_enabled(),
                              torch.is_deterministic_algorithms_warn_only_enabled()])
    finally:
        torch.use_deterministic_algorithms(False)
    torch.use_deterministic_algorithms(True, warn_only=True)
    log("warn only", torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(False)
    g = torch.Generator()
    g.manual_seed(0)
    state = g.get_state()
    first = torch.randn(3, generator=g)
    g.set_state(state)
    log("generator replay", torch.stack([first, torch.randn(3, generator=g)]))
    log("generator seed", g.initial_seed())
    g2 = torch.Generator().manual_seed(5)
    log("rand/randint/randperm", [torch.rand(2, generator=g2),
                                  torch.randint(0, 10, (3,), generator=g2),
                                  torch.randperm(5, generator=g2)])
    ds = data_utils.TensorDataset(torch.arange(10.0), torch.arange(10) % 3)
    train, val = data_utils.random_split(ds, [0.7, 0.3], generator=torch.Generator().manual_seed(42))
    log("split", [list(train.indices), list(val.indices)])
    train2, _ = data_utils.random_split(ds, [7, 3], generator=torch.Generator().manual_seed(42))
    log("split ints", list(train2.indices))

    def seed_worker(worker_id):
        import random
        worker_seed = torch.initial_seed() % 2 ** 32
        np.random.seed(worker_seed)
        random.seed(worker_seed)

    g = torch.Generator()
    g.manual_seed(0)
    loader = data_utils.DataLoader(ds, batch_size=4, shuffle=True, worker_init_fn=seed_worker,
                                   generator=g)
    log("loader", [xb for xb, _ in loader])
    sampler = data_utils.SubsetRandomSampler([1, 3, 5, 7, 9],
                                             generator=torch.Generator().manual_seed(3))
    log("subset sampler", list(sampler))
    rs = data_utils.RandomSampler(ds, replacement=True, num_samples=6,
                                  generator=torch.Generator().manual_seed(4))
    log("random sampler", list(rs))
    bs = data_utils.BatchSampler(data_utils.SequentialSampler(range(7)), 3, drop_last=False)
    log("batch sampler", list(bs))
    torch.manual_seed(12)
    a = torch.randn(4)
    torch.manual_seed(12)
    log("reseeded", torch.stack([a, torch.randn(4)]))
    log("seed", torch.initial_seed())
    torch.manual_seed(12)
    d1 = torch.nn.functional.dropout(torch.ones(8), 0.5)
    torch.manual_seed(12)
    log("dropout replay", torch.equal(d1, torch.nn.functional.dropout(torch.ones(8), 0.5)))


# ------------------------------------------------------------------------ zeroing gradients
def zeroing_gradients(torch, log):
    nn = torch.nn
    torch.manual_seed(13)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(5, 4), torch.randn(5, 2)
    crit = nn.MSELoss()
    log("grad before", net[0].weight.grad is None)
    for i in range(2):
        opt.zero_grad()
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        log(f"loss {i}", loss)
    log("grad kept", net[2].bias.grad)
    opt.zero_grad()
    log("set to none", net[0].weight.grad is None)
    crit(net(x), y).backward()
    opt.zero_grad(set_to_none=False)
    log("zeros", net[2].weight.grad)
    crit(net(x), y).backward()
    crit(net(x), y).backward()
    log("accumulated twice", net[2].bias.grad)
    net.zero_grad()
    log("module zero_grad", [p.grad is None for p in net.parameters()])
    crit(net(x), y).backward()
    for p in net.parameters():
        p.grad.zero_()
    log("grad.zero_", net[0].bias.grad)
    net.zero_grad(set_to_none=False)
    log("module zeros", net[0].bias.grad)
    # a non-leaf's grad is not populated (a warning), retain_grad populates it
    h = net[0](x)
    h.retain_grad()
    h2 = net[0](x)
    (h.sum() + h2.sum()).backward()
    log("retained", h.grad)
    log("non-leaf", h2.grad is None)
    log("retains", [h.retains_grad, h2.retains_grad, h.is_leaf])
    opt.state_dict()
    log("momentum buffer", opt.state[net[0].weight]["momentum_buffer"])


# ------------------------------------------- warm-starting a model from a different model
def warmstart(torch, log):
    nn = torch.nn
    torch.manual_seed(14)

    class NetA(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 2, 3)
            self.bn = nn.BatchNorm2d(2)
            self.fc1 = nn.Linear(8, 4)

        def forward(self, x):
            return self.fc1(self.bn(self.conv1(x)).flatten(1))

    class NetB(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 2, 3)
            self.fc1 = nn.Linear(8, 4)
            self.fc2 = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc2(self.fc1(self.conv1(x).flatten(1)))

    a, b = NetA(), NetB()
    a(torch.randn(3, 1, 4, 4))            # moves the batch-norm statistics
    result = b.load_state_dict(a.state_dict(), strict=False)
    log("missing", list(result.missing_keys))
    log("unexpected", list(result.unexpected_keys))
    log("repr", repr(result))
    log("copied", torch.equal(b.conv1.weight, a.conv1.weight))
    log("fresh", b.fc2.weight)
    try:
        b.load_state_dict(a.state_dict())
    except RuntimeError as e:
        log("strict", e)
    bigger = nn.Linear(8, 5).state_dict()
    try:
        b.fc1.load_state_dict(bigger)
    except RuntimeError as e:
        log("size mismatch", e)
    renamed = {k.replace("fc1", "fc2") if k.startswith("fc1") else k: v
               for k, v in NetB().state_dict().items() if not k.startswith("fc2")}
    renamed = {k: v for k, v in renamed.items() if v.shape == b.state_dict()[k].shape}
    log("renamed keys", list(renamed))
    res = b.load_state_dict(renamed, strict=False)
    log("renamed result", [list(res.missing_keys), list(res.unexpected_keys)])
    log("all matched", repr(b.load_state_dict(b.state_dict())))
    x = torch.randn(2, 1, 4, 4)
    log("warm output", b(x))
    # freeze the copied layers, train the new head
    for name, p in b.named_parameters():
        p.requires_grad = name.startswith("fc2")
    opt = torch.optim.SGD([p for p in b.parameters() if p.requires_grad], lr=0.1)
    loss = b(x).pow(2).mean()
    loss.backward()
    opt.step()
    log("head trained", b.fc2.weight)
    log("frozen", [p.grad is None for p in b.conv1.parameters()])


# ---------------------------------------------------------------- what is a state_dict
def state_dict_recipe(torch, log):
    nn = torch.nn
    torch.manual_seed(15)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 2, 3)
            self.pool = nn.MaxPool2d(2, 2)
            self.bn = nn.BatchNorm1d(2)
            self.fc1 = nn.Linear(2, 3)
            self.register_buffer("steps", torch.zeros((), dtype=torch.long))
            self.register_buffer("scratch", torch.ones(2), persistent=False)

        def forward(self, x):
            self.steps += 1
            return self.fc1(self.bn(self.pool(self.conv1(x).relu()).flatten(1)))

    net = Net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    sd = net.state_dict()
    log("model keys", list(sd))
    log("sizes", [tuple(v.size()) for v in sd.values()])
    log("dtypes", [v.dtype for v in sd.values()])
    log("buffers", [n for n, _ in net.named_buffers()])
    log("opt before", optimizer.state_dict())
    x = torch.randn(3, 1, 4, 4)
    for _ in range(2):
        optimizer.zero_grad()
        net(x).pow(2).sum().backward()     # (not .sum(): batch norm's gradient of a sum
        optimizer.step()                    # is 0 up to rounding)
    osd = optimizer.state_dict()
    log("opt state ids", sorted(osd["state"]))
    log("opt group", {k: v for k, v in osd["param_groups"][0].items()})
    log("momentum 0", osd["state"][0]["momentum_buffer"])
    net2 = Net()
    opt2 = torch.optim.SGD(net2.parameters(), lr=0.5)
    net2.load_state_dict(net.state_dict())
    opt2.load_state_dict(osd)
    log("loaded lr", opt2.param_groups[0]["lr"])
    log("loaded steps", net2.steps)
    log("loaded momentum", opt2.state[net2.conv1.weight]["momentum_buffer"])
    log("same out", torch.equal(net.eval()(x), net2.eval()(x)))
    log("detached", [v.requires_grad for v in net.state_dict().values()][:2])
    kv = net.state_dict(keep_vars=True)
    log("keep_vars", [kv["fc1.weight"].requires_grad, kv["fc1.weight"] is net.fc1.weight])
    log("prefix", list(net.fc1.state_dict(prefix="head.")))
    sd = net.state_dict()
    sd["fc1.bias"].zero_()
    log("shares memory", net.fc1.bias)
    log("metadata", sorted(sd._metadata)[:4])
    log("module version", sd._metadata["bn"])


# -------------------------------------------------------- gradient clipping and accumulation
def clipping_recipe(torch, log):
    nn = torch.nn
    torch.manual_seed(16)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    x, y = torch.randn(6, 3) * 10, torch.randn(6, 1)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    log("total norm", total)
    log("clipped norm", torch.stack([p.grad.norm() for p in model.parameters()]).norm())
    for p, g in zip(model.parameters(), grads):
        p.grad = g.clone()
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
    log("value clipped", model[0].weight.grad)
    for p, g in zip(model.parameters(), grads):
        p.grad = g.clone()
    log("norm 1", nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=1.0))
    log("after norm 1", model[2].weight.grad)
    for p, g in zip(model.parameters(), grads):
        p.grad = g.clone()
    log("no clip needed", nn.utils.clip_grad_norm_(model[2].parameters(), 1e6))
    log("untouched", torch.equal(model[2].weight.grad, grads[2]))
    model[0].weight.grad[0, 0] = float("nan")
    try:
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    except RuntimeError as e:
        log("nonfinite", e)
    log("nan norm", nn.utils.clip_grad_norm_(model.parameters(), 1.0))
    log("single tensor", nn.utils.clip_grad_norm_(model[2].weight, 0.1))
    # accumulation over micro-batches equals one big batch
    torch.manual_seed(16)
    m1 = nn.Linear(3, 2)
    m2 = nn.Linear(3, 2)
    m2.load_state_dict(m1.state_dict())
    xb, yb = torch.randn(8, 3), torch.randn(8, 2)
    nn.functional.mse_loss(m1(xb), yb).backward()
    for i in range(4):
        (nn.functional.mse_loss(m2(xb[2 * i:2 * i + 2]), yb[2 * i:2 * i + 2]) / 4).backward()
    log("accumulated", [m1.weight.grad, m2.weight.grad])
    log("empty", nn.utils.clip_grad_norm_([], 1.0))


# ---------------------------------------------------------------------- nn.Module hooks recipe
def module_hooks_recipe(torch, log):
    nn = torch.nn
    mm = importlib.import_module(torch.__name__ + ".nn.modules.module")
    torch.manual_seed(17)
    events = []

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x, scale=1.0):
            return self.lin(x) * scale

    block = Block()

    def pre_kwargs(module, args, kwargs):
        events.append(("pre", kwargs.get("scale")))
        return args, {"scale": 2.0}

    def fwd_kwargs(module, args, kwargs, output):
        events.append(("fwd", kwargs["scale"]))
        return output + 1

    h1 = block.register_forward_pre_hook(pre_kwargs, with_kwargs=True)
    h2 = block.register_forward_hook(fwd_kwargs, with_kwargs=True)
    h3 = block.register_forward_hook(lambda m, a, o: events.append(("first",)), prepend=True)
    x = torch.randn(2, 3)
    out = block(x, scale=0.5)
    log("kwargs hooked", out)
    log("events", [list(e) for e in events])
    for h in (h1, h2, h3):
        h.remove()
    log("removed", block(x, scale=0.5))
    # forward pre hook replacing the input, forward hook replacing the output
    lin = nn.Linear(3, 2)
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    log("zeroed input", lin(x))
    # global hooks
    seen = []
    g = mm.register_module_forward_hook(lambda m, i, o: seen.append(type(m).__name__))
    try:
        nn.Sequential(nn.Linear(3, 3), nn.ReLU())(x)
    finally:
        g.remove()
    log("global", seen)
    # full backward hooks: grad_input replaced
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    got = []

    def bhook(module, grad_input, grad_output):
        got.append([tuple(g.shape) if g is not None else None for g in grad_input + grad_output])
        return (grad_input[0] * 0.5,)

    net[2].register_full_backward_hook(bhook)
    xi = torch.randn(5, 3, requires_grad=True)
    net(xi).sum().backward()
    log("backward shapes", got)
    log("halved grad", xi.grad)
    log("weight grad", net[0].weight.grad)
    # always_call: a hook that runs even when forward raises
    calls = []

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    boom = Boom()
    boom.register_forward_hook(lambda m, a, o: calls.append("always"), always_call=True)
    try:
        boom(x)
    except ValueError as e:
        log("raised", e)
    log("always_call", calls)
    # state dict hooks
    sd_seen = []
    lin2 = nn.Linear(2, 2)
    lin2.register_state_dict_pre_hook(lambda m, prefix, keep_vars: sd_seen.append(prefix))
    lin2.register_load_state_dict_post_hook(
        lambda m, incompatible: sd_seen.append(list(incompatible.missing_keys)))
    nn.Sequential(lin2).state_dict()
    lin2.load_state_dict({"weight": torch.ones(2, 2)}, strict=False)
    log("state dict hooks", sd_seen)
    log("loaded", lin2.weight)


# ------------------------------------ extending torch.func with autograd.Function (vmap, grad)
def func_custom_function(torch, log):
    func = torch.func
    torch.manual_seed(18)

    class MyExp(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)
            ctx.save_for_forward(output)

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

        @staticmethod
        def jvp(ctx, x_t):
            result, = ctx.saved_tensors
            return x_t * result

    class MySort(torch.autograd.Function):
        @staticmethod
        def forward(x, dim):
            idx = x.argsort(dim)
            return x.gather(dim, idx), idx

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, dim = inputs
            _, idx = output
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.dim = dim

        @staticmethod
        def backward(ctx, grad_output, _):
            idx, = ctx.saved_tensors
            return torch.zeros_like(grad_output).scatter(ctx.dim, idx, grad_output), None

        @staticmethod
        def vmap(info, in_dims, x, dim):
            x_bdim, _ = in_dims
            x = x.movedim(x_bdim, 0)
            dim = dim if dim >= 0 else dim + x.dim() - 1
            result = MySort.apply(x, dim + 1)
            return result, (0, 0)

    x = torch.randn(4, 3, dtype=torch.float64)
    log("grad", func.grad(lambda t: MyExp.apply(t).sum())(x))
    log("vmap", func.vmap(MyExp.apply)(x))
    log("jacrev", func.jacrev(MyExp.apply)(x[0]))
    log("jacfwd", func.jacfwd(MyExp.apply)(x[0]))
    log("vmap(grad)", func.vmap(func.grad(lambda t: MyExp.apply(t).sum()))(x))
    log("hessian", func.hessian(lambda t: MyExp.apply(t).sum())(x[0]))
    vals, idx = func.vmap(MySort.apply, in_dims=(1, None))(x, 0)
    log("vmap sort", [vals, idx])
    log("sort grad", func.grad(lambda t: (MySort.apply(t, 0)[0] * torch.arange(
        4.0, dtype=torch.float64)).sum())(x[:, 0]))

    class NoRule(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

    try:
        func.vmap(NoRule.apply)(x)
    except RuntimeError as e:
        log("no vmap rule", e)

    class OldStyle(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    try:
        func.grad(lambda t: OldStyle.apply(t).sum())(x)
    except RuntimeError as e:
        log("needs setup_context", e)


# ----------------------------------------------------- torch.autograd.grad and backward options
def autograd_grad_options(torch, log):
    torch.manual_seed(19)
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    unused = torch.randn(2, requires_grad=True)
    y = (x * w).sum()
    g = torch.autograd.grad(y, (x, unused), allow_unused=True, retain_graph=True)
    log("allow_unused", [g[0], g[1] is None])
    g = torch.autograd.grad(y, (x, unused), allow_unused=True, materialize_grads=True,
                            retain_graph=True)
    log("materialized", list(g))
    try:
        torch.autograd.grad(y, (x, unused), retain_graph=True)
    except RuntimeError as e:
        log("unused error", e)
    z = x * w
    g = torch.autograd.grad(z, x, grad_outputs=torch.tensor([1.0, 0.0, 2.0]))
    log("grad_outputs", g[0])
    try:
        torch.autograd.grad(x * w, x)
    except RuntimeError as e:
        log("non-scalar", e)
    y = x.pow(3).sum()
    gx, = torch.autograd.grad(y, x, create_graph=True)
    gxx, = torch.autograd.grad(gx.sum(), x)
    log("second order", [gx, gxx])
    x.grad = None
    (x * w).sum().backward(inputs=[x])
    log("inputs=", [x.grad, w.grad is None])
    y = (x * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    log("retain_graph", x.grad)
    try:
        y.backward()
    except RuntimeError as e:
        log("second backward", e)
    t = torch.ones(2, 2, requires_grad=True)
    out = t * 3
    out.backward(torch.full((2, 2), 0.5))
    log("backward(gradient)", t.grad)
    try:
        (t * 3).backward()
    except RuntimeError as e:
        log("implicit", e)
    no = torch.randn(2)
    try:
        no.sum().backward()
    except RuntimeError as e:
        log("no grad_fn", e)
    a = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        b = a * 2
    log("no_grad flags", [b.requires_grad, b.grad_fn is None, b.is_leaf])
    with torch.set_grad_enabled(False):
        c = a * 2
    torch.set_grad_enabled(True)
    log("set_grad_enabled", [c.requires_grad, torch.is_grad_enabled()])

    @torch.no_grad()
    def doubler(t):
        return t * 2

    log("decorated", doubler(a).requires_grad)
    with torch.enable_grad():
        log("enable_grad", (a * 2).requires_grad)


# --------------------------------------------------------------------------- anomaly detection
def anomaly_detection(torch, log):
    torch.manual_seed(20)
    x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            y = x.sqrt()
            try:
                y.sum().backward()
            except RuntimeError as e:
                log("nan grad", e)
        log("grad kept", x.grad is None)
        with torch.autograd.detect_anomaly(check_nan=False):
            y = x.sqrt()
            y.sum().backward()
        log("unchecked grad", x.grad)
    log("is_anomaly", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
    torch.autograd.set_detect_anomaly(True)
    log("enabled", torch.is_anomaly_enabled())
    torch.autograd.set_detect_anomaly(False)

    class BadGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    a = torch.randn(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            try:
                BadGrad.apply(a).sum().backward()
            except RuntimeError as e:
                log("custom nan", e)
    # without anomaly mode, nan flows silently
    BadGrad.apply(a).sum().backward()
    log("silent nan", a.grad)


# --------------------------------------------------- fusing convolution and batch norm (eval)
def fuse_conv_bn_recipe(torch, log):
    nn = torch.nn
    fusion = importlib.import_module(torch.__name__ + ".nn.utils.fusion")
    torch.manual_seed(21)
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    bn = nn.BatchNorm2d(3).double()
    x = torch.randn(4, 2, 5, 5, dtype=torch.float64)
    bn.train()
    for _ in range(3):
        bn(conv(x) * 2 + 1)
    conv.eval()
    bn.eval()
    fused = fusion.fuse_conv_bn_eval(conv, bn)
    log("fused type", [type(fused).__name__, fused.weight.requires_grad])
    log("fused out", fused(x))
    log("reference", bn(conv(x)))
    w, b = fusion.fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var,
                                       bn.eps, bn.weight, bn.bias)
    log("weights", [w, b])
    lin = nn.Linear(3, 3).double().eval()
    bn1 = nn.BatchNorm1d(3).double()
    bn1.train()
    bn1(torch.randn(6, 3, dtype=torch.float64) * 3)
    bn1.eval()
    fl = fusion.fuse_linear_bn_eval(lin, bn1)
    xx = torch.randn(2, 3, dtype=torch.float64)
    log("linear fused", [fl(xx), bn1(lin(xx))])
    convt = nn.ConvTranspose2d(3, 2, 2).double().eval()
    bn2 = nn.BatchNorm2d(2).double().eval()
    bn2.running_mean.fill_(0.3)
    bn2.running_var.fill_(2.0)
    ft = fusion.fuse_conv_bn_eval(convt, bn2, transpose=True)
    xt = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    log("transposed fused", [ft(xt), bn2(convt(xt))])
    conv.train()
    try:
        fusion.fuse_conv_bn_eval(conv, bn)
    except AssertionError as e:
        log("train refused", e)


# ------------------------------------------------ a gradient penalty: double backward in training
def gradient_penalty(torch, log):
    nn = torch.nn
    torch.manual_seed(22)
    critic = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.Tanh(),
                           nn.Linear(8, 1))
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    real, fake = torch.randn(6, 3), torch.randn(6, 3) + 1
    for step in range(3):
        alpha = torch.rand(6, 1)
        interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = critic(interp)
        grads, = torch.autograd.grad(out, interp, grad_outputs=torch.ones_like(out),
                                     create_graph=True, retain_graph=True)
        gp = ((grads.norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + 10 * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
        log(f"gp {step}", gp)
        log(f"loss {step}", loss)
    log("last weight grad", critic[0].weight.grad)
    # the gradient of a gradient norm w.r.t. the input (input-gradient regularisation)
    x = torch.randn(4, 3, requires_grad=True)
    y = critic(x).sum()
    g, = torch.autograd.grad(y, x, create_graph=True)
    g.pow(2).sum().backward()
    log("input grad of grad norm", x.grad)


# ------------------------------------------------------------------ tensor and node hooks
def tensor_and_node_hooks(torch, log):
    torch.manual_seed(23)
    order = []
    x = torch.randn(3, requires_grad=True)
    y = x * 2
    z = y.exp()
    h = y.register_hook(lambda g: order.append("y hook") or g * 10)
    y.retain_grad()
    z.grad_fn.register_prehook(lambda gout: order.append("z prehook") or (gout[0] * 2,))
    z.grad_fn.register_hook(lambda gin, gout: order.append("z hook") or None)
    x.register_hook(lambda g: order.append("x hook"))
    x.register_post_accumulate_grad_hook(lambda p: order.append(("post", p.grad is not None)))
    z.sum().backward(retain_graph=True)
    log("order", [o if isinstance(o, str) else list(o) for o in order])
    log("x grad", x.grad)
    log("y grad (retained before the hook)", y.grad)
    h.remove()
    order.clear()
    x.grad = None
    z.sum().backward()
    log("removed", x.grad)
    log("order 2", [o if isinstance(o, str) else list(o) for o in order])
    try:
        torch.randn(2).register_hook(lambda g: g)
    except RuntimeError as e:
        log("no grad hook", e)
    w = torch.randn(2, requires_grad=True)
    w.register_hook(lambda g: g.clamp(max=0.1))
    (w * torch.tensor([1.0, -3.0])).sum().backward()
    log("clamped", w.grad)
    a = torch.randn(2, requires_grad=True)
    b = a * 1
    b.register_hook(lambda g: print_none(g))
    (b * 3).sum().backward()
    log("hook returning None", a.grad)
    log("node names", [type(z.grad_fn).__name__.rstrip("0") in ("ExpBackward", "Exp")])
    c = torch.randn(2, requires_grad=True)
    d = c.sin()
    d.grad_fn.register_hook(lambda gin, gout: (gin[0] * 0,))
    d.sum().backward()
    log("node hook replacing grad_inputs", c.grad)


def print_none(g):
    return None


# ----------------------------------------------------------- optimizer recipes: groups, hooks
def optimizer_recipe(torch, log):
    nn = torch.nn
    torch.manual_seed(24)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = torch.optim.SGD([{"params": model[0].parameters()},
                           {"params": model[2].parameters(), "lr": 1e-3, "nesterov": True,
                            "momentum": 0.9}], lr=1e-2, momentum=0.5, weight_decay=1e-4)
    log("groups", [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
    seen = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append("pre"))
    post = opt.register_step_post_hook(lambda o, args, kwargs: seen.append("post"))
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    log("hooks", seen)
    pre.remove()
    post.remove()
    log("weights", [model[0].weight, model[2].weight])
    extra = nn.Parameter(torch.ones(2))
    opt.add_param_group({"params": [extra], "lr": 0.5, "momentum": 0.0})
    log("added group", {k: v for k, v in opt.param_groups[-1].items() if k != "params"})
    try:
        opt.add_param_group({"params": [extra]})
    except ValueError as e:
        log("duplicate", e)
    extra.grad = torch.ones(2)
    opt.step()
    log("extra", extra)
    sd = opt.state_dict()
    log("param ids", [g["params"] for g in sd["param_groups"]])
    opt2 = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(2):
        opt2.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt2.step()
    st = opt2.state[model[0].weight]
    log("adam state keys", sorted(st))
    log("adam step", st["step"])
    log("max_exp_avg_sq", st["max_exp_avg_sq"])
    try:
        torch.optim.SGD(model.parameters(), lr=-1.0)
    except ValueError as e:
        log("bad lr", e)
    try:
        torch.optim.SGD([], lr=0.1)
    except ValueError as e:
        log("empty", e)


# ------------------------------------------------------------- functional_call, its options
def functional_call_options(torch, log):
    nn = torch.nn
    func = torch.func
    torch.manual_seed(25)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(4, 3)
            self.out = nn.Linear(3, 4, bias=False)
            self.out.weight = self.emb.weight
            self.bn = nn.BatchNorm1d(3)

        def forward(self, idx, scale=1.0):
            return self.out(self.bn(self.emb(idx))) * scale

    m = Tied()
    idx = torch.tensor([0, 3, 1])
    new_w = torch.randn(4, 3)
    out = func.functional_call(m, {"emb.weight": new_w}, (idx,), {"scale": 2.0})
    log("tied", out)
    out2 = func.functional_call(m, {"emb.weight": new_w}, (idx,), tie_weights=False)
    log("untied", out2)
    log("buffers moved by the call", [m.bn.running_mean, m.bn.num_batches_tracked])
    log("params unchanged", torch.equal(m.emb.weight, m.out.weight))
    try:
        func.functional_call(m, {"emb.weight": new_w, "nope": new_w}, (idx,), strict=True)
    except RuntimeError as e:
        log("strict", e)
    try:
        func.functional_call(m, ({"emb.weight": new_w}, {"emb.weight": new_w}), (idx,))
    except ValueError as e:
        log("twice", e)
    params = dict(m.named_parameters())
    log("named (tied once)", list(params))
    log("named remove_duplicate=False", [n for n, _ in m.named_parameters(
        remove_duplicate=False)])
    m.eval()     # (in training mode batch norm's running statistics would be written in
    g = func.grad(lambda p: func.functional_call(m, p, (idx,)).pow(2).sum())(   # place: see
        {k: v.detach() for k, v in params.items()})                 # grad_mutating_captured)
    log("grad through tied", g["emb.weight"])
    with torch.no_grad():
        log("eval", func.functional_call(m, {"bn.running_var": torch.full((3,), 4.0)}, idx))


# ----------------------------------------------------------- transforms: the errors they give
def transform_errors(torch, log):
    func = torch.func
    x = torch.randn(3)
    cases = [
        ("grad non-scalar", lambda: func.grad(lambda t: t * 2)(x)),
        ("grad non-tensor", lambda: func.grad(lambda t: 2.0)(x)),
        ("grad aux format", lambda: func.grad(lambda t: t.sum(), has_aux=True)(x)),
        ("grad int input", lambda: func.grad(lambda t: t.sum())(torch.arange(3))),
        ("vmap in_dims", lambda: func.vmap(lambda t: t, in_dims=(0, 0))(x)),
        ("vmap sizes", lambda: func.vmap(lambda a, b: a + b)(x, torch.randn(4))),
        ("vmap out of range", lambda: func.vmap(lambda t: t, in_dims=2)(x)),
        ("vmap no tensors", lambda: func.vmap(lambda t: t)(3.0)),
        ("vmap random", lambda: func.vmap(lambda t: t + torch.rand(1))(x)),
        ("vmap non-tensor out", lambda: func.vmap(lambda t: 1)(x)),
        ("jacrev argnums", lambda: func.jacrev(lambda t: t, argnums=3)(x)),
        ("jvp tangents", lambda: func.jvp(lambda t: t, (x,), (torch.ones(2),))),
        ("jvp not tuple", lambda: func.jvp(lambda t: t, x, x)),
        ("vjp shape", lambda: func.vjp(lambda t: t * 2, x)[1](torch.ones(2))),
    ]
    for name, case in cases:
        try:
            log(name, case())
        except (RuntimeError, ValueError, TypeError) as e:
            log(name, e)
    torch.manual_seed(27)
    same = func.vmap(lambda t: t + torch.rand(1), randomness="same")(torch.zeros(3))
    log("vmap same", [same, bool((same == same[0]).all())])


# ----------------------------------------------- saving and loading a general checkpoint (in memory)
def general_checkpoint(torch, log):
    import copy
    nn = torch.nn
    torch.manual_seed(26)
    # (no bias before the batch norm: its gradient is 0 but for rounding, which Adam's
    # normalisation would blow up to steps of lr)
    net = nn.Sequential(nn.Linear(3, 5, bias=False), nn.BatchNorm1d(5), nn.ReLU(),
                        nn.Linear(5, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    def epoch(net, opt, sched):
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        sched.step()
        return loss.item()

    losses = [epoch(net, opt, sched) for _ in range(3)]
    checkpoint = copy.deepcopy({"epoch": 3, "model_state_dict": net.state_dict(),
                                "optimizer_state_dict": opt.state_dict(),
                                "scheduler": sched.state_dict(), "loss": losses[-1]})
    log("losses", losses)
    cont = [epoch(net, opt, sched) for _ in range(2)]
    net2 = nn.Sequential(nn.Linear(3, 5, bias=False), nn.BatchNorm1d(5), nn.ReLU(),
                         nn.Linear(5, 1))
    opt2 = torch.optim.AdamW(net2.parameters(), lr=0.5)
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    net2.load_state_dict(checkpoint["model_state_dict"])
    opt2.load_state_dict(checkpoint["optimizer_state_dict"])
    sched2.load_state_dict(checkpoint["scheduler"])
    net2.train()
    resumed = [epoch(net2, opt2, sched2) for _ in range(2)]
    log("continued", cont)
    log("resumed", resumed)
    log("lr", [opt.param_groups[0]["lr"], opt2.param_groups[0]["lr"]])
    log("scheduler state", {k: v for k, v in checkpoint["scheduler"].items()
                            if k in ("step_size", "gamma", "last_epoch", "_step_count")})
    log("same weights", [torch.equal(a, b) for a, b in zip(net.parameters(),
                                                           net2.parameters())])
    # load_state_dict(assign=True): the module takes the given tensors
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    net3 = nn.Sequential(nn.Linear(3, 5, bias=False), nn.BatchNorm1d(5), nn.ReLU(),
                         nn.Linear(5, 1))
    net3.load_state_dict(sd, assign=True)
    log("assign", [net3[0].weight.data_ptr() == sd["0.weight"].data_ptr(),
                   type(net3[0].weight).__name__, net3[0].weight.requires_grad])
    net3.eval()
    log("eval out", net3(x[:2]))


# ------------------------------------ per-sample gradients by module hooks (the Opacus way)
def per_sample_by_hooks(torch, log):
    nn = torch.nn
    torch.manual_seed(28)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    activations, backprops = {}, {}

    def save_input(name):
        def hook(module, inputs, output):
            activations[name] = inputs[0].detach()
        return hook

    def save_grad(name):
        def hook(module, grad_input, grad_output):
            backprops[name] = grad_output[0].detach()
        return hook

    for name, m in model.named_children():
        if isinstance(m, nn.Linear):
            m.register_forward_hook(save_input(name))
            m.register_full_backward_hook(save_grad(name))
    x, y = torch.randn(5, 4), torch.randint(0, 3, (5,))
    loss = nn.functional.cross_entropy(model(x), y, reduction="sum")
    loss.backward()
    per_sample = {n: torch.einsum("ni,nj->nij", backprops[n], activations[n])
                  for n in activations}
    log("per-sample 0", per_sample["0"])
    log("per-sample bias 2", backprops["2"])
    log("sums to the batch grad", [torch.allclose(per_sample[n].sum(0),
                                                  model[int(n)].weight.grad, atol=1e-6)
                                   for n in sorted(per_sample)])
    norms = torch.stack([per_sample[n].flatten(1).norm(dim=1) for n in sorted(per_sample)])
    log("per-sample norms", norms)
    # clip each sample's gradient to norm 1, then sum (DP-SGD's step)
    total = norms.pow(2).sum(0).sqrt()
    factor = (1.0 / (total + 1e-6)).clamp(max=1.0)
    clipped = torch.einsum("n,nij->ij", factor, per_sample["0"])
    log("clipped sum", clipped)


# ------------------------------------------------- schedulers stepped by fractional epochs
def scheduler_fractional(torch, log):
    S = torch.optim.lr_scheduler
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    iters = 3
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # (the epoch argument's deprecation warning)
        for epoch in range(4):
            for i in range(iters):
                opt.step()
                sched.step(epoch + i / iters)
                lrs.append(opt.param_groups[0]["lr"])
    log("warm restarts fractional", lrs)
    log("T_cur, T_i", [sched.T_cur, sched.T_i])
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    cyc = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3,
                     mode="triangular", cycle_momentum=True, base_momentum=0.8,
                     max_momentum=0.95)
    out = []
    for _ in range(7):
        opt.step()
        cyc.step()
        out.append([opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]])
    log("cyclic with momentum", out)
    opt = torch.optim.SGD([p], lr=0.1)
    lam = S.LambdaLR(opt, lambda e: 1.0 / (1 + e))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lam.step(5)
    log("LambdaLR at epoch 5", lam.get_last_lr())
    opt = torch.optim.SGD([p], lr=0.1)
    poly = S.PolynomialLR(opt, total_iters=4, power=1.0)
    out = []
    for _ in range(6):
        opt.step()
        poly.step()
        out.append(poly.get_last_lr()[0])
    log("polynomial past the end", out)


# ------------------------------------------------------------------ the autograd graph's API
def autograd_graph_api(torch, log):
    torch.manual_seed(29)
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    c = (a * b).sum()
    fn = c.grad_fn

    def names(node):
        return [None if n is None else re.sub(r"Backward\d$", "Backward", n.name())
                for n, _ in node.next_functions]

    log("sum's next", names(fn))
    mul = fn.next_functions[0][0]
    log("mul's next", names(mul))
    log("leaf node var", [mul.next_functions[0][0].variable is a,
                          mul.next_functions[1][0].variable is b])
    log("is Node", isinstance(fn, torch.autograd.graph.Node))
    fn.metadata["note"] = "kept"
    log("metadata", c.grad_fn.metadata)
    d = a.detach()
    log("detached", [d.grad_fn is None, d.requires_grad, d.is_leaf])
    e = a[1:]
    log("view next", names(e.grad_fn))
    f = torch.randn(2).requires_grad_()
    g = f.clone()
    log("clone next", names(g.grad_fn))
    log("leaf grad_fn", f.grad_fn is None)
    calls = []
    acc = mul.next_functions[0][0]
    a.register_hook(lambda g: calls.append("tensor hook") or g * 2)
    acc.register_prehook(lambda gout: calls.append("acc prehook") or (gout[0] * 10,))
    acc.register_hook(lambda gin, gout: calls.append(["acc hook", len(gin), gout[0]]))
    a.register_post_accumulate_grad_hook(lambda p: calls.append(["post", p.grad]))
    acc.metadata["mine"] = 1
    log("metadata per node", [mul.next_functions[1][0].metadata, acc.metadata])
    del acc
    c.backward()
    log("accumulate hooks", calls)
    log("grads", [a.grad, b.grad])
    calls.clear()
    torch.autograd.grad((a * 1).sum(), a)
    log("autograd.grad runs the tensor hook only", calls)


# ------------------------------------------------------------ differences left (strict xfails)
def forward_mode_flags(torch, log):
    """Whether a forward-mode tangent requires grad (torch prints its grad_fn). torch's
    tangent formulas multiply by the primals, so a tangent requires grad when a primal does,
    even where its value does not depend on it (``d * x``'s tangent ``t * x``: AddBackward0;
    ``relu``'s: ThresholdBackwardBackward0); here the tangent is the double-vjp trick's
    gradient and requires grad only where it depends on such a tensor."""
    fwAD = torch.autograd.forward_ad
    torch.manual_seed(6)
    model = torch.nn.Linear(3, 2)
    p = torch.randn(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, torch.ones(3))
        log("mul, relu", [fwAD.unpack_dual(d * 2).tangent.requires_grad,
                          fwAD.unpack_dual(d.relu()).tangent.requires_grad])
        out = torch.func.functional_call(model, {"weight": fwAD.make_dual(
            model.weight, torch.ones(2, 3)), "bias": model.bias}, torch.randn(4, 3))
        log("linear", fwAD.unpack_dual(out).tangent.requires_grad)


def grad_mutating_captured(torch, log):
    """An in-place write, inside ``torch.func.grad``, into a Tensor captured from outside the
    transform (here batch norm's running statistics, in training mode): torch refuses it
    ("During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call
    in-place operation (aten::add_.Tensor) that would mutate a captured Tensor"); here the
    transform does not tell captured Tensors from its own, and the write is made."""
    func = torch.func
    torch.manual_seed(25)
    bn = torch.nn.BatchNorm1d(3)
    x = torch.randn(4, 3)
    try:
        g = func.grad(lambda p: func.functional_call(bn, p, (x,)).pow(3).sum())(
            {k: v.detach() for k, v in bn.named_parameters()})
        log("grad", g["weight"])
    except RuntimeError as e:
        log("refused", e)
    log("running mean", bn.running_mean)


def hessian_forward_outer(torch, log):
    """``autograd.functional.hessian(..., vectorize=True, outer_jacobian_strategy=
    "forward-mode")`` in torch returns a Hessian that requires grad (grad_fn
    ReshapeAliasBackward0) though ``create_graph=False``: its forward-mode Jacobian skips the
    detaching every other path does. Here it is detached, as the reverse-mode one."""
    AF = torch.autograd.functional
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    h = AF.hessian(lambda t: t.pow(3).sum(), x, vectorize=True,
                   outer_jacobian_strategy="forward-mode")
    log("requires_grad", h.requires_grad)


def saved_hooks_what_is_packed(torch, log):
    """Which tensors reach a pack hook. torch saves a product's operand only when the other
    operand's gradient needs it, and never a Python number: ``v * 3`` packs nothing. Here an
    op saves its inputs all at once (``Mul`` saves x and y; the number, made a Tensor, too),
    so the hook sees 2 tensors where torch's sees none. Likewise ``(v * c).grad_fn.
    _saved_self`` is None in torch when c needs no gradient; here it is v."""
    v = torch.randn(3, requires_grad=True)
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t.shape) or t,
                                                  lambda t: t):
        y = v * 3
        z = v * torch.ones(3)        # (torch: only the ones, read by v's gradient)
    log("packed", [len(packed)])
    (y.sum() + z.sum()).backward()
    log("grad", v.grad)
    m = v * v.detach()
    log("_saved_self of what needs no saving", m.grad_fn._saved_self)

# ------------------------------------------------------------------------------ the harness
def run(program, lib):
    """The program's log, its warnings and the exception it raised (or None), on ``lib``."""
    log = Log()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            program(lib, log)
            error = None
        except Exception as e:  # noqa: BLE001 - compared with torch's
            error = e
    return log.rows, [f"{w.category.__name__}: {w.message}" for w in caught], error


def torchs_own(message):
    """A warning torch's internals raise about themselves (torch.func scripts and constant-
    folds helpers), not about the program."""
    return "torch.jit.script" in message or "get_attr Node" in message


def compare(program, tol):
    """Run ``program`` both ways: the same error (class and torch's first sentence), the
    same warnings, the same rows (labels, structure, strings, dtypes, shapes, flags), numbers
    within ``tol`` of each row's scale."""
    mine, ref = run(program, tg), run(program, real_torch)
    assert (mine[2] is None) == (ref[2] is None), (mine[2], ref[2])
    if ref[2] is not None:
        _diff(_norm(mine[2]), _norm(ref[2]), "error")
    theirs = [w for w in ref[1] if not torchs_own(w)]
    assert len(mine[1]) == len(theirs), (mine[1], theirs)
    for a, b in zip(mine[1], theirs):
        assert _first_sentence(b) in a, (a, b)
    assert [r[0] for r in mine[0]] == [r[0] for r in ref[0]]
    worst = 0.0
    for (label, a), (_, b) in zip(mine[0], ref[0]):
        row = _diff(a, b, label)
        assert row <= tol, (label, row, tol)
        worst = max(worst, row)
    return worst


# (program, tolerance: the largest difference from torch allowed in a row, relative to the
# row's largest magnitude). float64 programs: a few float64 ulps (BLAS's summation order, not
# torch's). float32: single ops and short chains agree to about one float32 ulp (2**-23);
# gradients summed over a batch, short trainings and Adam's division by a running root
# mean square move that to a few. clipping_recipe: a clipped row's scale is the clip value,
# its unclipped entries keep the ulps of the (larger) gradients they came from.
PROGRAMS = [
    (per_sample_grads, 4 * F32), (ensembling, 4 * F32), (func_transforms, 16 * F64),
    (neural_tangent_kernel, 64 * F64), (autograd_functional, 16 * F64),
    (forward_mode_ad, 4 * F32), (extending_autograd, 4 * F32),
    (saved_tensors_hooks_recipe, 4 * F32), (pruning_recipe, 4 * F32),
    (parametrizations_tutorial, 8 * F32), (scheduler_recipe, 4 * F64),
    (reproducibility, 0.0), (zeroing_gradients, 4 * F32), (warmstart, 4 * F32),
    (state_dict_recipe, 4 * F32), (clipping_recipe, 16 * F32), (module_hooks_recipe, 4 * F32),
    (func_custom_function, 4 * F64), (autograd_grad_options, 4 * F32),
    (anomaly_detection, 4 * F32), (fuse_conv_bn_recipe, 16 * F64), (gradient_penalty, 8 * F32),
    (tensor_and_node_hooks, 4 * F32), (optimizer_recipe, 4 * F32),
    (functional_call_options, 4 * F32), (transform_errors, 0.0),
    (general_checkpoint, 8 * F32), (per_sample_by_hooks, 4 * F32),
    (scheduler_fractional, 4 * F64), (autograd_graph_api, 0.0),
]

XFAIL = [
    pytest.param(forward_mode_flags, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="forward-AD tangents require grad only where their value depends "
                            "on a tensor requiring grad; torch's formulas make them require "
                            "grad whenever a primal does")),
    pytest.param(hessian_forward_outer, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="torch's forward-mode outer Jacobian leaves the Hessian requiring "
                            "grad under create_graph=False; ours is detached")),
    pytest.param(saved_hooks_what_is_packed, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="ops save (and pack) all their inputs, numbers made Tensors too; "
                            "torch packs only what the needed gradients read")),
    pytest.param(grad_mutating_captured, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="torch.func.grad does not refuse in-place writes into captured "
                            "Tensors (batch norm's running statistics)")),
]


@pytest.mark.parametrize("program,tol", PROGRAMS, ids=lambda p: getattr(p, "__name__", ""))
def test_recipe_prints_torchs_numbers(program, tol):
    compare(program, tol)


@pytest.mark.parametrize("program,tol", XFAIL, ids=lambda p: getattr(p, "__name__", ""))
def test_recipe_differences_left(program, tol):
    compare(program, tol)


if __name__ == "__main__":
    for program, tol in PROGRAMS:
        print(f"{program.__name__}: worst {compare(program, float('inf')):.3g} (tolerance "
              f"{tol:.3g})")
