"""Custom ops written as torch writes them::

    class MyExp(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    z = MyExp.apply(x)

``forward`` receives the Tensors themselves and runs with graph recording off; ``ctx`` is the
graph node, with ``save_for_backward``, ``saved_tensors``, ``needs_input_grad`` (one bool per
argument of forward), ``mark_non_differentiable`` and ``set_materialize_grads``.
``backward`` receives the gradient of the output and returns one gradient (or None) per
argument of forward; written with Tensor operations, it can be differentiated again with
``create_graph=True``. One output Tensor per op (torch also allows several: not supported
here, and refused with a clear message).
"""
from . import function
from .function import Function, _tensor_class
from .grad_mode import _mode, no_grad

__all__ = ["make_torch_style"]


def make_torch_style(cls):
    """Give a torch-style subclass the library's node protocol: ``apply`` and ``backward``."""
    user_forward = cls.__dict__["forward"].__func__
    user_backward = cls.__dict__.get("backward")
    if not isinstance(user_backward, staticmethod):
        raise TypeError(f"{cls.__name__}: a Function with a @staticmethod forward(ctx, ...) "
                        f"needs a @staticmethod backward(ctx, *grad_outputs) too")
    user_backward = user_backward.__func__

    def apply(*args, **kwargs):
        return _apply(cls, user_forward, args, kwargs)

    def backward(self, grad):
        return _backward(self, user_backward, grad)

    cls.apply = staticmethod(apply)
    cls.backward = backward
    cls.forward = staticmethod(user_forward)
    cls.rule = cls.rule or f"z = {cls.__name__}(…)  (a custom op)"
    cls.saved_tensors = property(_saved_tensors)
    cls.mark_non_differentiable = _mark_non_differentiable
    cls.set_materialize_grads = _set_materialize_grads


def _saved_tensors(ctx):
    """The saved Tensors; the op's own output, if saved, comes back as the output of this node
    (so a backward that uses it can be differentiated again, as in torch)."""
    saved = Function.saved_tensors.fget(ctx)
    outputs = ctx.__dict__.get("_saved_output_slots", ())
    return tuple(ctx.output() if i in outputs else t for i, t in enumerate(saved))


def _mark_non_differentiable(ctx, *tensors):
    ctx._non_differentiable = {id(t) for t in tensors}


def _set_materialize_grads(ctx, value):
    ctx._materialize_grads = bool(value)


def _apply(cls, forward, args, kwargs):
    Tensor = _tensor_class()
    ctx = cls()
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx.needs_input_grad = needs
    record = _mode.enabled and any(needs)
    ctx._recording = record
    with no_grad():
        out = forward(ctx, *args, **kwargs)
    if isinstance(out, tuple):
        if len(out) != 1:
            raise NotImplementedError(
                f"{cls.__name__}.forward returned {len(out)} outputs: custom Functions here "
                f"support one output Tensor (return a single Tensor)")
        out = out[0]
    if not isinstance(out, Tensor):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor, got "
                        f"{type(out).__name__}")
    if not record or id(out) in ctx.__dict__.get("_non_differentiable", ()):
        return out
    result = Tensor(out.array)            # a node of its own, even when forward returns x
    ctx.sequence_nr = next(function._sequence)
    ctx.next_functions = tuple((a.grad_fn or a) if n else None for a, n in zip(args, needs))
    ctx.input_shapes = [a.array.shape if n else None for a, n in zip(args, needs)]
    result.requires_grad, result.grad_fn = True, ctx
    slots = [i for i, t in enumerate(ctx._saved) if t is out]
    if slots:
        ctx._saved_output_slots = slots
        ctx.save_output(out.array)
    if _mode.modules:
        ctx.modules = _mode.modules
    return result


def _backward(ctx, user_backward, grad):
    grads = user_backward(ctx, grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    expected = len(ctx.needs_input_grad)
    if len(grads) != expected:
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(grads)})")
    Tensor = _tensor_class()
    out = []
    for i, (g, needed) in enumerate(zip(grads, ctx.needs_input_grad)):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"function {ctx.name()} returned a gradient of type "
                            f"{type(g).__name__} for input {i}: expected a Tensor or None")
        out.append(g if needed else None)
    return tuple(out)
