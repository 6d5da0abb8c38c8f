"""Edges of the autograd machinery, against torch 2.13: ``backward(inputs=...)`` with
``retain_grad``, grad-mode decorators on generators, ``inference_mode(False)``, a custom
backward returning a gradient of the wrong shape, leaf ``.grad`` accumulated in place,
``create_graph`` graphs kept in ``.grad``, ``retain_grad`` followed by an in-place op,
``detect_anomaly`` (NaN in backward only, a RuntimeError), ``.data``'s own version counter, and
the argument checks of ``backward`` and of hooks.

Each case is a small program run with both libraries (``L`` is ``torch`` or ``tinygrad_sgd``);
what it returns — plain numbers, lists, bools — must be the same. An exception is an outcome
too: the same type, and our message begins with torch's (node names without torch's version
digit: ``SqrtBackward0`` is our ``SqrtBackward``; ``torch.FloatTensor`` is our
``tinygrad_sgd.FloatTensor``).
"""
import re
import warnings

import pytest
import torch

import tinygrad_sgd as tg


class Raised:
    """An exception as an outcome: its type name and message (in our library's words)."""

    def __init__(self, error):
        self.kind = type(error).__name__
        message = re.sub(r"(\w+Backward)\d+", r"\1", str(error))
        self.message = message.replace("torch.", "tinygrad_sgd.")

    def matches(self, theirs):
        return isinstance(theirs, Raised) and self.kind == theirs.kind and \
            self.message.startswith(theirs.message)

    def __repr__(self):
        return f"{self.kind}: {self.message}"


def outcome(L, program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return program(L)
        except Exception as e:         # noqa: BLE001 (an error is an outcome to compare)
            return Raised(e)


def check(program):
    theirs, ours = outcome(torch, program), outcome(tg, program)
    if isinstance(theirs, Raised):
        assert isinstance(ours, Raised) and ours.matches(theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Raised), (ours, theirs)
        assert ours == theirs, (ours, theirs)


def values(t):
    return None if t is None else t.detach().tolist()


def grad_of(t):
    with warnings.catch_warnings():    # (a non-leaf's .grad warns when not retained)
        warnings.simplefilter("ignore")
        return values(t.grad)


def leaf(L, data=(1.0, 2.0)):
    return L.tensor(list(data), dtype=L.float64, requires_grad=True)


# ============================================================================ 1. inputs=[h]
def inputs_h_retained(L):
    x = leaf(L, (1.0, 2.0, 3.0))
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward(inputs=[h])
    return grad_of(h), grad_of(x)


def inputs_h_twice(L, retain=True):
    x = leaf(L)
    h = x * 2
    if retain:
        h.retain_grad()
    y = (h * h).sum()
    y.backward(inputs=[h], retain_graph=True)
    y.backward(inputs=[h])
    return grad_of(h), grad_of(x), h.retains_grad


def inputs_h_and_x(L):
    x = leaf(L)
    h = x * 2
    h.retain_grad()
    (h * h * x).sum().backward(inputs=[h, x])
    return grad_of(h), grad_of(x)


def inputs_h_after_a_hook(L):
    x = leaf(L)
    h = x * 2
    h.register_hook(lambda g: g * 10)
    h.retain_grad()
    (h * h).sum().backward(inputs=[h])
    return grad_of(h)


def inputs_x_with_h_retained(L):
    x = leaf(L)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward(inputs=[x])
    return grad_of(h), grad_of(x)


INPUTS = {"retained": inputs_h_retained, "twice_retained": inputs_h_twice,
          "twice_not_retained": lambda L: inputs_h_twice(L, retain=False),
          "h_and_x": inputs_h_and_x, "after_a_hook": inputs_h_after_a_hook,
          "x_only": inputs_x_with_h_retained}


@pytest.mark.parametrize("name", INPUTS)
def test_backward_inputs_with_retain_grad(name):
    check(INPUTS[name])


# ============================================================================ 2, 3. grad modes
def generator_trace(L, decorator, outer=None):
    """Run a decorated generator: the mode inside its body at each resume, the mode of the
    caller's loop between resumes, what ``send`` passes in and what it returns."""
    x = leaf(L)
    seen = []

    def body():
        got = yield (x * 2).requires_grad, L.is_grad_enabled(), \
            L.is_inference_mode_enabled()
        seen.append(got)
        yield (x * 3).requires_grad, L.is_grad_enabled(), L.is_inference_mode_enabled()
        return "done"

    gen = decorator(L)(body)()
    out = [next(gen), (L.is_grad_enabled(), L.is_inference_mode_enabled())]
    out.append(gen.send("sent"))
    out.append((L.is_grad_enabled(), L.is_inference_mode_enabled()))
    try:
        next(gen)
    except StopIteration as stop:
        out.append(stop.value)
    return out + seen


DECORATORS = {
    "no_grad()": lambda L: L.no_grad(),
    "no_grad": lambda L: L.no_grad,
    "enable_grad()": lambda L: L.enable_grad(),
    "set_grad_enabled(False)": lambda L: L.set_grad_enabled(False),
    "set_grad_enabled(True)": lambda L: L.set_grad_enabled(True),
    "inference_mode()": lambda L: L.inference_mode(),
    "inference_mode": lambda L: L.inference_mode,
    "inference_mode(False)": lambda L: L.inference_mode(False),
}


@pytest.mark.parametrize("caller", ["grad", "no_grad"])
@pytest.mark.parametrize("name", DECORATORS)
def test_grad_mode_decorators_on_generators(name, caller):
    def program(L):
        if caller == "grad":
            return generator_trace(L, DECORATORS[name])
        with L.no_grad():
            return generator_trace(L, DECORATORS[name])
    check(program)


def generator_throw_and_close(L):
    """An exception thrown into a decorated generator reaches its body under its mode; so
    does the GeneratorExit of close()."""
    trace = []

    @L.no_grad()
    def body():
        try:
            yield 1
        except ValueError:
            trace.append(("caught", L.is_grad_enabled()))
        try:
            yield 2
        finally:
            trace.append(("closing", L.is_grad_enabled()))

    gen = body()
    next(gen)
    trace.append(gen.throw(ValueError("in")))
    trace.append(L.is_grad_enabled())
    gen.close()
    trace.append(L.is_grad_enabled())
    return trace


def test_grad_mode_decorator_throw_and_close():
    check(generator_throw_and_close)


def decorated_function(L, decorator):
    x = leaf(L)
    f = decorator(L)(lambda: ((x * 2).requires_grad, L.is_grad_enabled()))
    with L.no_grad():
        inside_no_grad = f()
    return f(), inside_no_grad, L.is_grad_enabled()


@pytest.mark.parametrize("name", DECORATORS)
def test_grad_mode_decorators_on_functions(name):
    check(lambda L: decorated_function(L, DECORATORS[name]))


def inference_mode_nested(L, outer, inner):
    x = leaf(L)
    contexts = {"no_grad": L.no_grad, "enable_grad": L.enable_grad,
                "inference_mode": L.inference_mode,
                "inference_mode(False)": lambda: L.inference_mode(False)}
    with contexts[outer]():
        with contexts[inner]():
            inside = ((x * 2).requires_grad, L.is_grad_enabled(),
                      L.is_inference_mode_enabled())
        after = (L.is_grad_enabled(), L.is_inference_mode_enabled())
    return inside, after, L.is_grad_enabled(), L.is_inference_mode_enabled()


@pytest.mark.parametrize("outer,inner", [
    ("no_grad", "inference_mode(False)"), ("enable_grad", "inference_mode(False)"),
    ("inference_mode", "inference_mode(False)"), ("no_grad", "inference_mode"),
    ("inference_mode(False)", "no_grad"), ("inference_mode(False)", "inference_mode")])
def test_inference_mode_false_turns_grad_mode_on(outer, inner):
    check(lambda L: inference_mode_nested(L, outer, inner))


# ============================================================================ 4. custom gradient shape
def custom_backward(L, shape, make_grad, through_node=False):
    class Twice(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return make_grad(g)

    x = L.ones(shape, dtype=L.float64, requires_grad=True)
    y = Twice.apply(x * 1 if through_node else x)
    y.sum().backward()
    return tuple(x.grad.shape), values(x.grad)


CUSTOM_GRADS = {   # input shape, the gradient backward returns (from g, of the input's shape)
    "summed_away_dim": ((3, 4), lambda g: g.sum(0)),
    "keepdim_sum": ((3, 4), lambda g: g.sum(0, keepdim=True)),
    "first_row": ((3, 4), lambda g: g[:1]),
    "extra_leading_dim": ((3, 4), lambda g: g.expand(2, 3, 4)),
    "transposed": ((3, 4), lambda g: g.t()),
    "size1_input_full_grad": ((3, 1), lambda g: g.expand(3, 4)),
    "scalar_input_vector_grad": ((), lambda g: g.expand(3)),
    "flattened": ((3, 4), lambda g: g.reshape(12)),
}


@pytest.mark.parametrize("through_node", [False, True], ids=["leaf", "non_leaf"])
@pytest.mark.parametrize("name", CUSTOM_GRADS)
def test_custom_backward_gradient_shape_is_checked(name, through_node):
    shape, make_grad = CUSTOM_GRADS[name]
    check(lambda L: custom_backward(L, shape, make_grad, through_node))


# ============================================================================ 5. leaf .grad in place
def accumulate_into_first_grad(L):
    x = leaf(L)
    x.sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    return values(g), g is x.grad


def accumulate_into_user_buffer(L, requires_grad=False):
    x = leaf(L)
    buf = L.zeros(2, dtype=L.float64, requires_grad=requires_grad)
    x.grad = buf
    (x * 2).sum().backward()
    return values(buf), x.grad is buf, x.grad.requires_grad


def accumulate_bumps_the_grads_version(L):
    x = leaf(L)
    x.sum().backward()
    before = x.grad._version
    x.sum().backward()
    return x.grad._version > before


def accumulate_under_create_graph_is_a_new_tensor(L):
    x = leaf(L)
    x.grad = L.zeros(2, dtype=L.float64)
    g = x.grad
    (x * x).sum().backward(create_graph=True)
    return g is x.grad, values(g), values(x.grad), x.grad.requires_grad


def accumulate_into_an_expanded_grad(L, create_graph=False):
    x = leaf(L)
    x.grad = L.zeros(1, dtype=L.float64).expand(2)
    (x * 2).sum().backward(create_graph=create_graph)
    return values(x.grad)


def accumulate_from_two_backwards_of_one_graph(L):
    x = leaf(L)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    g = x.grad
    y.backward()
    return values(g), g is x.grad


def accumulate_with_backward_inputs(L):
    x = leaf(L)
    x.sum().backward(inputs=[x])
    g = x.grad
    (x * 3).sum().backward(inputs=[x])
    return values(g), g is x.grad


def accumulate_with_a_post_accumulate_hook(L):
    x = leaf(L)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(values(t.grad)))
    x.sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    return seen, g is x.grad


ACCUMULATE = {
    "first_grad": accumulate_into_first_grad,
    "user_buffer": accumulate_into_user_buffer,
    "user_buffer_requiring_grad": lambda L: accumulate_into_user_buffer(L, True),
    "version_bumped": accumulate_bumps_the_grads_version,
    "create_graph_new_tensor": accumulate_under_create_graph_is_a_new_tensor,
    "expanded_grad": accumulate_into_an_expanded_grad,
    "expanded_grad_create_graph": lambda L: accumulate_into_an_expanded_grad(L, True),
    "retain_graph_twice": accumulate_from_two_backwards_of_one_graph,
    "backward_inputs": accumulate_with_backward_inputs,
    "post_accumulate_hook": accumulate_with_a_post_accumulate_hook,
}


@pytest.mark.parametrize("name", ACCUMULATE)
def test_leaf_grad_is_accumulated_in_place(name):
    check(ACCUMULATE[name])


# ============================================================================ 6. create_graph kept
def retained_grad_under_create_graph(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    (y ** 3).sum().backward(create_graph=True)
    second, = L.autograd.grad(y.grad.sum(), x)
    return y.grad.requires_grad, x.grad.requires_grad, values(y.grad), values(second)


def retained_grad_accumulates_out_of_place(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    g = y.grad
    z.backward()
    return values(g), values(y.grad), g is y.grad


def plain_backward_after_create_graph(L):
    x = leaf(L)
    (x * x).sum().backward(create_graph=True)
    g = x.grad
    (x ** 3).sum().backward()
    return x.grad.requires_grad, g is x.grad, values(x.grad)


def create_graph_twice(L):
    x = leaf(L)
    (x * x).sum().backward(create_graph=True)
    (x ** 3).sum().backward(create_graph=True)
    second, = L.autograd.grad(x.grad.sum(), x)
    return x.grad.requires_grad, values(x.grad), values(second)


def hooks_run_in_the_walks_grad_mode(L, create_graph, caller_no_grad):
    x = leaf(L)
    seen = []
    x.register_hook(lambda g: seen.append(("leaf", L.is_grad_enabled())))
    x.register_post_accumulate_grad_hook(lambda t: seen.append(("post", L.is_grad_enabled())))
    y = x * x
    y.register_hook(lambda g: seen.append(("node", L.is_grad_enabled())))
    with L.set_grad_enabled(not caller_no_grad):
        y.sum().backward(create_graph=create_graph)
    return seen, x.grad.requires_grad


CREATE_GRAPH = {"retained_grad": retained_grad_under_create_graph,
                "retained_grad_twice": retained_grad_accumulates_out_of_place,
                "plain_after_create_graph": plain_backward_after_create_graph,
                "create_graph_twice": create_graph_twice,
                **{f"hook_mode_create_graph={c}_caller_no_grad={n}":
                   (lambda c, n: lambda L: hooks_run_in_the_walks_grad_mode(L, c, n))(c, n)
                   for c in (False, True) for n in (False, True)}}


@pytest.mark.parametrize("name", CREATE_GRAPH)
def test_create_graph_graphs_are_kept(name):
    check(CREATE_GRAPH[name])


# ============================================================================ 7. retain_grad, in place
def retained_then_in_place(L, op):
    x = leaf(L, (-1.0, 2.0))     # (relu_ changes the first value)
    y = x * 2
    y.retain_grad()
    if op == "mul_":
        y.mul_(3)
    elif op == "relu_":
        L.nn.functional.relu(y, inplace=True)
    elif op == "setitem":
        y[0] = x[1] * 4
    elif op == "twice":
        y.mul_(3)
        y.add_(x)
    (y * 5).sum().backward()
    return grad_of(y), grad_of(x)


def retained_view_then_base_in_place(L):
    x = leaf(L)
    y = x * 2
    v = y[0:1]
    v.retain_grad()
    y.mul_(3)
    (v * 5).sum().backward()
    return grad_of(v), grad_of(x)


def hook_before_in_place_sees_the_old_value_gradient(L):
    x = leaf(L)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(values(g)))
    y.retain_grad()
    y.mul_(3)
    (y * 5).sum().backward()
    return seen, grad_of(y)


def retained_graph_used_before_the_in_place(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    z = y * 5                # uses the old y
    y.mul_(3)
    z.sum().backward()
    return grad_of(y), grad_of(x)


def retain_grad_called_again_after_in_place(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    y.retain_grad()
    (y * 5).sum().backward()
    return grad_of(y)


IN_PLACE = {
    "mul_": lambda L: retained_then_in_place(L, "mul_"),
    "relu_": lambda L: retained_then_in_place(L, "relu_"),
    "setitem": lambda L: retained_then_in_place(L, "setitem"),
    "two_in_place_ops": lambda L: retained_then_in_place(L, "twice"),
    "view_of_a_base_written": retained_view_then_base_in_place,
    "hook_before": hook_before_in_place_sees_the_old_value_gradient,
    "old_graph": retained_graph_used_before_the_in_place,
    "retain_again": retain_grad_called_again_after_in_place,
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_retain_grad_follows_an_in_place_op(name):
    check(IN_PLACE[name])


# ============================================================================ 8. detect_anomaly
def under_anomaly(L, program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with L.autograd.detect_anomaly():
            return program(L)


def anomaly_inf_forward(L):
    x = leaf(L)
    (L.log(L.tensor(0.0, dtype=L.float64)) + x.sum()).backward()
    return values(x.grad)


def anomaly_inf_gradient(L):
    x = leaf(L, (0.0, 1.0))
    x.sqrt().sum().backward()
    return values(x.grad)


def anomaly_nan_gradient(L):
    x = leaf(L, (-1.0, 1.0))
    x.sqrt().sum().backward()


def anomaly_nan_in_the_second_input(L):
    a = L.tensor([-1.0, 2.0], dtype=L.float64)
    b = leaf(L, (2.0, 2.0))
    (a ** b).sum().backward()


def anomaly_nan_in_the_data(L):
    w = leaf(L)
    (L.tensor([1.0, float("nan")], dtype=L.float64) * w).sum().backward()
    return [str(v) for v in values(w.grad)]


def anomaly_masked_softmax(L):
    L.manual_seed(0)
    x = L.randn(2, 3, dtype=L.float64, requires_grad=True)
    mask = L.tensor([[True, False, True], [False, False, True]])
    s = x.masked_fill(mask, float("-inf")).softmax(-1)
    s[:, 1].sum().backward()
    return tuple(x.grad.shape)


def anomaly_custom_function_nan(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf(L)
    Bad.apply(x).sum().backward()


def anomaly_error_caught_as_runtime_error(L):
    x = leaf(L, (-1.0, 1.0))
    try:
        x.sqrt().sum().backward()
    except RuntimeError:
        return "caught"


ANOMALY = {"inf_forward": anomaly_inf_forward, "inf_gradient": anomaly_inf_gradient,
           "nan_gradient": anomaly_nan_gradient,
           "nan_second_input": anomaly_nan_in_the_second_input,
           "nan_data": anomaly_nan_in_the_data, "masked_softmax": anomaly_masked_softmax,
           "custom_function": anomaly_custom_function_nan,
           "except_runtime_error": anomaly_error_caught_as_runtime_error}


@pytest.mark.parametrize("name", ANOMALY)
def test_detect_anomaly_checks_backward_for_nan_only(name):
    check(lambda L: under_anomaly(L, ANOMALY[name]))


@pytest.mark.parametrize("forward_under_the_mode", [True, False])
def test_detect_anomaly_warns_where_the_failing_node_was_made(forward_under_the_mode):
    def program(L):
        x = leaf(L, (-1.0, 1.0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with L.autograd.detect_anomaly():
                y = x.sqrt().sum() if forward_under_the_mode else None
            y = x.sqrt().sum() if y is None else y
            with L.autograd.detect_anomaly():
                try:
                    y.backward()
                except RuntimeError:
                    pass
        told = [str(w.message) for w in caught if "Error detected in" in str(w.message)]
        return [re.sub(r"(\w+Backward)\d+", r"\1", m).split(".")[0] for m in told], \
            [("test_autograd_edges.py" in m, "No forward pass information" in m) for m in told]
    check(program)


# ============================================================================ 9. .data's counter
def data_in_place_after_a_saving_op(L):
    w = leaf(L)
    z = w.sin()
    w.data.mul_(2)
    z.sum().backward()
    return w._version, values(w.grad)


def data_of_an_output_zeroed(L):
    x = leaf(L)
    y = x.exp()
    y.data.zero_()
    y.sum().backward()
    return values(x.grad)


def detach_shares_the_counter(L):
    w = leaf(L)
    z = w.sin()
    w.detach().mul_(2)
    try:
        z.sum().backward()
    except RuntimeError as e:
        return w._version, "modified by an inplace operation" in str(e)


def data_views_share_the_datas_counter(L):
    w = leaf(L)
    d = w.data
    d[0:1].mul_(2)
    d.reshape(2, 1).add_(1)
    return d._version, w._version, w.data._version, values(w)


def views_share_the_tensors_counter(L):
    w = leaf(L)
    with L.no_grad():
        w[0:1].mul_(2)
        w.view(2, 1).add_(1)
    return w._version, values(w)


def data_update_idiom(L):
    p = leaf(L)
    z = p.sin()
    p.data += 0.5
    p.data.sub_(0.25)
    z.sum().backward()
    return p._version, values(p)


def data_assigned_new_values(L):
    p = leaf(L)
    p.data = L.tensor([5.0, 6.0], dtype=L.float64)
    (p * p).sum().backward()
    return values(p), values(p.grad), p.requires_grad


def data_assigned_integers(L, requires_grad):
    p = L.tensor([1.0, 2.0], requires_grad=requires_grad)
    p.data = L.tensor([5, 6])
    return str(p.dtype).split(".")[-1], values(p)


DATA = {"int_data_for_a_grad_tensor": lambda L: data_assigned_integers(L, True),
        "int_data_for_a_plain_tensor": lambda L: data_assigned_integers(L, False),
        "saving_op": data_in_place_after_a_saving_op, "output_zeroed": data_of_an_output_zeroed,
        "detach_shares": detach_shares_the_counter,
        "data_views": data_views_share_the_datas_counter,
        "tensor_views": views_share_the_tensors_counter, "update_idiom": data_update_idiom,
        "assigned": data_assigned_new_values}


@pytest.mark.parametrize("name", DATA)
def test_data_has_its_own_version_counter(name):
    check(DATA[name])


# ============================================================================ 10. argument checks
def backward_gradient(L, make):
    x = leaf(L, (1.0, 2.0, 3.0))
    (x * 2).backward(make(L))
    return values(x.grad)


def fewer_gradients_than_tensors(L):
    x = leaf(L)
    y = x * 2
    L.autograd.backward([y, y * 3], [L.ones(2, dtype=L.float64)])


def more_gradients_than_tensors(L):
    x = leaf(L)
    L.autograd.backward([x * 2], [L.ones(2, dtype=L.float64), L.ones(2, dtype=L.float64)])
    return values(x.grad)


def retain_grad_on(L, which):
    t = {"no_grad_leaf": L.ones(2), "grad_leaf": L.ones(2, requires_grad=True)}[which]
    t.retain_grad()
    return t.retains_grad


def hook_returning(L, make, on_leaf):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    t = x if on_leaf else x * 2
    t.register_hook(lambda g: make(L, g))
    (t * 3).sum().backward()
    return values(x.grad)


ARGUMENTS = {
    "list_gradient": lambda L: backward_gradient(L, lambda L: [1.0, 1.0, 1.0]),
    "float_gradient": lambda L: backward_gradient(L, lambda L: 1.0),
    "tensor_gradient": lambda L: backward_gradient(L, lambda L: L.ones(3, dtype=L.float64)),
    "fewer_gradients": fewer_gradients_than_tensors,
    "more_gradients": more_gradients_than_tensors,
    "retain_grad_no_grad_leaf": lambda L: retain_grad_on(L, "no_grad_leaf"),
    "retain_grad_grad_leaf": lambda L: retain_grad_on(L, "grad_leaf"),
    **{f"hook_{what}_{where}": (lambda make, on_leaf: lambda L: hook_returning(L, make, on_leaf))(
        make, where == "leaf")
       for what, make in {"double": lambda L, g: g.double(), "size": lambda L, g: L.ones(3),
                          "list": lambda L, g: [1.0, 2.0], "same": lambda L, g: g * 2}.items()
       for where in ("leaf", "non_leaf")},
}


@pytest.mark.parametrize("name", ARGUMENTS)
def test_argument_checks_as_torch(name):
    check(ARGUMENTS[name])
