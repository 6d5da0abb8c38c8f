"""A Module's backward hooks, as torch's: ``register_full_backward_hook(hook)`` runs
``hook(module, grad_input, grad_output)`` when the gradients with respect to the module's
inputs have been computed — ``grad_output`` the gradients of the loss with respect to its
outputs, ``grad_input`` with respect to its positional inputs (None for an argument that is
not a Tensor or gets no gradient); a result other than None replaces ``grad_input``.
``register_full_backward_pre_hook(hook)`` runs ``hook(module, grad_output)`` when the
gradients with respect to the outputs are known, before the module's own backward; a result
other than None replaces ``grad_output``. This is how you watch the gradient flow through a
layer (or clip it there) without touching the model.

How, as torch does it: the Tensor inputs are passed through one identity op (a
:class:`BackwardHookFunction`, several outputs) before forward, and the Tensor outputs through
another after it. The graph then has a node where the outputs' gradients arrive (the pre-hooks
run there and the gradients are kept) and one where the inputs' gradients leave (the hooks
run there, with the kept ones). With no input that requires grad, the hooks run at the
outputs' node, with grad_input all None (torch's warning is given).
"""
import warnings

from .. import autograd
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = ["BackwardHookFunction", "BackwardHook"]

_NO_INPUT_GRAD = ("Full backward hook is firing when gradients are computed with respect to "
                  "module outputs since no inputs require gradients. See "
                  "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.")


class BackwardHookFunction(autograd.Function):
    """The identity on its Tensors, whose backward hands the gradients to ``on_backward``
    (``apply(on_backward, materialize, *tensors)``) and passes on what it returns. As torch's:
    at the inputs (``materialize``) a Tensor that got no gradient gets zeros; at the outputs,
    None."""

    @staticmethod
    def forward(ctx, on_backward, materialize, *tensors):
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        ctx.set_materialize_grads(materialize)
        ctx.on_backward = on_backward
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.on_backward(grads))


class BackwardHook:
    """One forward call's bookkeeping: where the module's Tensor arguments and outputs are
    (``*_index``), the gradients of its outputs once they are known."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    def setup_input_hook(self, args):
        args, self.input_index = _wrap(args, self._inputs_backward, True)
        self.n_inputs = len(args)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outs, self.output_index = _wrap((result,) if single else result,
                                        self._outputs_backward, False)
        self.n_outputs = len(outs)
        return outs[0] if single else outs

    def _outputs_backward(self, grads):
        """At the outputs' node: keep grad_output (after the pre-hooks)."""
        self.grad_outputs = _spread(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(new)}, but expected "
                                   f"{len(self.grad_outputs)}")
            self.grad_outputs = new
        kept = self.grad_outputs
        if self.input_index is None:          # no input gets a gradient: the hooks run here
            warnings.warn(_NO_INPUT_GRAD, UserWarning, stacklevel=2)
            none = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and
                                            all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(kept[i] for i in self.output_index)

    def _inputs_backward(self, grads):
        """At the inputs' node: the hooks, with the kept grad_output."""
        if self.grad_outputs is None:     # the gradient reached the inputs another way
            return grads
        res = _spread(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)


def _wrap(args, on_backward, materialize):
    """The Tensors among ``args`` passed through one BackwardHookFunction (when one of them
    requires grad and the graph is being recorded); their places in ``args``, or None."""
    index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if not (is_grad_enabled() and any(args[i].requires_grad for i in index)):
        return args, None
    new = BackwardHookFunction.apply(on_backward, materialize, *(args[i] for i in index))
    args = list(args)
    for i, t in zip(index, new):
        args[i] = t
    return tuple(args), index


def _spread(index, values, size):
    """values put at ``index`` of a tuple of ``size`` Nones."""
    res = [None] * size
    for i, v in zip(index, values):
        res[i] = v
    return tuple(res)
