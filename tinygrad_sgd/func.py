"""``torch.func``: function transforms (``grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``,
``hessian``, ``linearize``, ``vmap``) and ``functional_call``, built on reverse mode.

    grad(f)(x)                    df/dx for a 0-d f
    vjp(f, x) -> (f(x), vjp_fn)   vjp_fn(v) = v^T J
    jvp(f, (x,), (t,))            (f(x), J t), on dual tensors
    jacrev(f)(x), jacfwd(f)(x)    J, shape out.shape + in.shape (pytrees of them); jacfwd
                                  one jvp per column
    hessian(f)(x)                 jacfwd(jacrev(f))(x)
    vmap(f)(x)                    stack([f(x[0]), f(x[1]), ...]): f mapped over a dim

How a transform works here: the differentiated arguments (Tensors, or dicts / lists / tuples
of them) are replaced by copies that require grad — a detached leaf for a plain Tensor, an
identity view (so gradients flow on) for one that already requires grad — ``f`` runs, and
``autograd.grad(..., create_graph=True)`` differentiates it. Because the gradients are graphs
themselves, transforms compose: ``grad(grad(f))``, ``jacfwd(jacrev(f))``, a transform of a
closure over another transform's argument. A result keeps its graph only where it depends on
Tensors that require grad outside the transform (an enclosing transform's, or the caller's
under grad mode), as torch's do; otherwise it is detached.

``jvp`` and ``jacfwd`` run on dual tensors (:mod:`.autograd.forward_ad`), as torch's: a
custom Function's own ``jvp``, tangents through ``no_grad`` blocks and in-place ops, and
``jacfwd``'s ``randomness`` are torch's. Inside another transform's function, or where
``func`` starts a transform itself, they compute the same values in reverse mode (the
double-backward trick; for ``jacfwd`` one backward per output element), and so does
``linearize``. ``vmap`` has no batching rules:
it runs ``f`` once per sample and stacks the results (torch's own slow fallback; see its
docstring for where that shows). ``functionalize``, ``replace_all_batch_norm_modules_`` and
``debug_unwrap`` are in :mod:`.func_eager`.
"""
# house: long file — torch.func is one public module; its pytree and transform-level helpers
# are private to it and read best beside the transforms that use them.
import contextlib
import functools

import numpy as np

from .autograd import forward_ad, is_grad_enabled, no_grad
from .autograd.custom import TRANSFORMS
from .autograd.engine import grad as _autograd_grad
from .autograd.function import Function
from .func_eager import functionalize, replace_all_batch_norm_modules_, debug_unwrap
from .nn.utils.stateless import _reparametrize_module
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "linearize", "functional_call", "stack_module_state", "vmap", "functionalize",
           "replace_all_batch_norm_modules_", "debug_unwrap"]


# ---------------------------------------------------------------------- pytrees
def _flatten(tree):
    """(leaves, spec) of nested tuples / lists / dicts; anything else is a leaf."""
    if isinstance(tree, (tuple, list, dict)):
        keys = tuple(tree) if isinstance(tree, dict) else None
        leaves, specs = [], []
        for child in (tree.values() if keys is not None else tree):
            sub, spec = _flatten(child)
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), keys, tuple(specs))
    return [tree], None


def _unflatten(leaves, spec):
    leaves = iter(leaves)

    def build(spec):
        if spec is None:
            return next(leaves)
        kind, keys, children = spec
        built = [build(child) for child in children]
        if keys is not None:
            return kind(zip(keys, built))
        return kind(built) if kind in (tuple, list) else kind(*built)   # namedtuples
    return build(spec)


def _spec_str(spec, indent=0):
    """torch's TreeSpec look: ``TreeSpec(tuple, None, [*, *])``, ``*`` for a leaf; every child
    after a node's first starts a new line, indented two spaces per level."""
    if spec is None:
        return "*"
    kind, keys, children = spec
    indent += 2
    return (f"TreeSpec({kind.__name__}, {list(keys) if keys is not None else None}, ["
            + f",\n{' ' * indent}".join(_spec_str(c, indent) for c in children) + "])")


def _spec_pprint(spec):
    """torch's treespec_pprint: ``(*, *)``, ``[*]``, ``{'a': *}``."""
    if spec is None:
        return "*"
    kind, keys, children = spec
    inner = [_spec_pprint(c) for c in children]
    if keys is not None:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(keys, inner)) + "}"
    if issubclass(kind, list):
        return "[" + ", ".join(inner) + "]"
    return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


def _map(fn, tree):
    leaves, spec = _flatten(tree)
    return _unflatten([fn(x) for x in leaves], spec)


# ---------------------------------------------------------------------- argnums
def _wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -num_args <= argnum < num_args:
        return argnum % num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _slice_argnums(args, argnums, as_tuple=True):
    """The differentiated arguments: ``args[argnums]`` (as a 1-tuple if ``as_tuple``) or a
    tuple of them, with torch's checks of ``argnums``."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        i = _wrap_argnum(argnums, len(args))
        return (args[i],) if as_tuple else args[i]
    argnums = tuple(_wrap_argnum(a, len(args)) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[i] for i in argnums)


def _replace_args(args, new, argnums):
    """``args`` with the differentiated ones (``new``, as :func:`_slice_argnums` gave them)
    put back."""
    if isinstance(argnums, int):
        idx = {_wrap_argnum(argnums, len(args)): new}
    else:
        idx = {_wrap_argnum(a, len(args)): n for a, n in zip(argnums, new)}
    return tuple(idx.get(i, a) for i, a in enumerate(args))


# ---------------------------------------------------------------------- one transform level
_ACTIVE = []      # the levels whose function is running, outermost first
_DUAL_RUNS = []   # jvp's runs on dual tensors in progress (see _jvp_dual)


class _Nested(BaseException):
    """A transform started inside jvp's run on dual tensors (``jvp(grad(f), ...)``); not an
    Exception, so that a function catching those does not swallow it."""


@contextlib.contextmanager
def _inference_off():
    """Inference mode off, grad mode as it is (forward AD's per-op trick needs graphs; the
    results hang on the caller's graph only if the caller records one, as torch's)."""
    from .autograd import _mode
    saved, _mode.inference = _mode.inference, False
    try:
        yield
    finally:
        _mode.inference = saved


def _recording():
    """Graphs recorded, as torch.func's transforms record them whatever the caller's mode:
    grad mode on, and inference mode off (under it no graph was made, and every transform
    gave zeros)."""
    from .functions.misc import inference_mode
    return inference_mode(False)


class _Level:
    """One transform's bookkeeping. Every leaf a level creates is tagged with it; when the
    level hands results back, it keeps a result's graph only if that reaches a leaf requiring
    grad that is the caller's (untagged) or an enclosing, still running level's. Leaves of
    levels that have finished (nested ones) and its own are dead ends. Nothing keeps a graph
    if the caller does not record graphs (torch's grad under no_grad)."""

    def __init__(self):
        self.outer_grad = is_grad_enabled()

    @contextlib.contextmanager
    def active(self):
        if _DUAL_RUNS:          # (inside jvp's run on dual tensors: jvp starts again with
            raise _Nested       # the double-backward trick, which composes with this one)
        _ACTIVE.append(self)
        TRANSFORMS.append("grad")
        try:
            with _recording():
                yield
        finally:
            _ACTIVE.remove(self)
            TRANSFORMS.remove("grad")

    def differentiable(self, t):
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if t.requires_grad:
            return t.view_as(t)              # an enclosing level's: let gradients through
        if t.is_inference():                 # (made under inference_mode: a normal copy)
            t = t.clone()
        return self._tag(t.detach().requires_grad_())

    def dummy(self, like):
        """The vector a vjp is taken with, to be differentiated away (jvp's double-vjp):
        ones, not zeros — a backward may branch on its sign or take log|g|, as
        logcumsumexp's does, and is then not differentiable at 0."""
        return self._tag(like.new_ones(like.shape).requires_grad_())

    def _tag(self, t):
        t._func_level = self
        return t

    def _outside(self, leaf):
        if not leaf.requires_grad:
            return False
        owner = getattr(leaf, "_func_level", None)
        return owner is None or (owner is not self and owner in _ACTIVE)

    def _reaches_outside(self, t):
        """Does ``t`` depend on a Tensor requiring grad of the caller's (see the class)?"""
        if t.grad_fn is None:
            return self._outside(t)
        seen, stack = {t.grad_fn}, [t.grad_fn]
        while stack:
            for nxt in stack.pop()._edges:
                if isinstance(nxt, Function):
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
                elif nxt is not None and self._outside(nxt):
                    return True
        return False

    def undo(self, tree):
        """The results as the caller sees them: graph kept only where it leads outside."""
        def one(t):
            if not isinstance(t, Tensor) or not t.requires_grad:
                return t
            return t if self.outer_grad and self._reaches_outside(t) else t.detach()
        return _map(one, tree)

    def grads(self, outputs, inputs, grad_outputs=None):
        """d(outputs)/d(inputs) as a graph (create_graph), zeros for an unreached input."""
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs or (None,) * len(outputs))
                 if o.requires_grad]
        if not pairs:
            res = (None,) * len(inputs)
        else:
            outs, gouts = zip(*pairs)
            res = _autograd_grad(outs, inputs, gouts, create_graph=True, allow_unused=True)
        return tuple(t.new_zeros(t.shape) if g is None else g for g, t in zip(res, inputs))


def _split_aux(output, has_aux, api):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           f"has_aux is True")
    return output


def _check_outputs(flat, api):
    if (len(flat) == 1 and flat[0] is None) or len(flat) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


# ---------------------------------------------------------------------- grad
def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of a 0-d ``func`` (``(gradient, (value,
    aux))`` with ``has_aux``); the gradient is w.r.t. ``args[argnums]`` (a tuple of them for a
    tuple of argnums), shaped like those arguments (pytrees included)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        level = _Level()
        with level.active():
            diff = _map(level.differentiable, _slice_argnums(args, argnums, as_tuple=False))
            output = func(*_replace_args(args, diff, argnums), **kwargs)
            output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {output.dim()} dims. Maybe "
                                   f"you wanted to use the vjp or jacrev APIs instead?")
            flat, spec = _flatten(diff)
            grads = level.undo(_unflatten(level.grads((output,), flat), spec))
            output = level.undo(output)
        if has_aux:
            return grads, (output, level.undo(aux))
        return grads, output
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of a 0-d ``func`` w.r.t. ``args[argnums]`` (with
    ``has_aux``: ``(gradient, aux)``). Composes: ``grad(grad(f))`` is the second derivative."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


# ---------------------------------------------------------------------- vjp / jvp
def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux``): ``vjp_fn(cotangents)`` gives ``v^T J`` for
    every primal, as a tuple shaped like ``primals``; ``cotangents`` has the output's form."""
    level = _Level()
    with level.active():
        diff = _map(level.differentiable, primals)
        output, aux = _split_aux(func(*diff), has_aux, "vjp(f, *primals)")
        flat_out, out_spec = _flatten(output)
        _check_outputs(flat_out, "vjp(f, *primals)")
        for o in flat_out:
            if not o.is_floating_point():
                raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {o.dtype}")
    flat_in, in_spec = _flatten(diff)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cot, cot_spec = _flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function. cotangents: "
                               f"{_spec_pprint(cot_spec)}, primal output: {_spec_pprint(out_spec)}")
        for c, o in zip(flat_cot, flat_out):
            if not isinstance(c, Tensor) or c.shape != o.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{getattr(c, 'shape', None)} and output[0] has a shape of "
                                   f"{o.shape}.")
        with _recording():
            flat_cot = [c.clone() if c.is_inference() else c for c in flat_cot]   # (made in
            res = level.grads(flat_out, flat_in, flat_cot)                 # inference_mode)
        return level.undo(_unflatten(res, in_spec))

    result = (level.undo(output), vjp_fn)
    return result + (level.undo(aux),) if has_aux else result


_JVP = "jvp(f, primals, tangents)"


def _jvp(func, primals, tangents, strict, has_aux, level):
    """(outputs, J·tangents, aux) by the double-backward trick: ``u -> J^T u`` is linear in a
    dummy ``u``, and its vjp with the tangents is ``J t``."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid "
                           f"to call f(*primals).")
    flat_p, p_spec = _flatten(primals)
    flat_t, t_spec = _flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{_JVP}: Expected primals and tangents to have the same python "
                           f"structure. For example, if primals is a tuple of 3 tensors, "
                           f"tangents also must be. Got primals with structure "
                           f"{_spec_str(p_spec)} and tangents with structure {_spec_str(t_spec)}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"{_JVP}: Expected {name} to contain at least one Tensor.")
        for t in flat:
            if not isinstance(t, Tensor):
                raise RuntimeError(f"{_JVP}: Expected {name} to only contain Tensors, got "
                                   f"{type(t)}")
    for p, t in zip(flat_p, flat_t):
        if p.shape != t.shape:
            raise RuntimeError(f"Trying to set a forward gradient that has a different size "
                               f"than that of the original Tensor, this is not supported. "
                               f"Tensor is of size {list(p.shape)} while the given forward "
                               f"gradient is of size {list(t.shape)}.")
    if not _ACTIVE and not forward_ad.level_open():
        try:
            return _jvp_dual(func, flat_p, p_spec, flat_t, strict, has_aux)
        except _Nested:     # a transform inside func (an hvp's grad): f runs again, below
            pass
    with level.active():
        diff = [level.differentiable(p) for p in flat_p]
        output, aux = _split_aux(func(*_unflatten(diff, p_spec)), has_aux, _JVP)
        flat_out, out_spec = _flatten(output)
        _check_outputs(flat_out, _JVP)
        dummies = [level.dummy(o) for o in flat_out]
        back = level.grads(flat_out, diff, dummies)
        live = [(b, t) for b, t in zip(back, flat_t) if b.requires_grad]
        tangents_out = (_autograd_grad([b for b, _ in live], dummies, [t for _, t in live],
                                       create_graph=True, allow_unused=True)
                        if live else (None,) * len(dummies))
        result = [_tangent_or_zeros(jv, o, strict) for o, jv in zip(flat_out, tangents_out)]
    return (level.undo(output), level.undo(_unflatten(result, out_spec)),
            level.undo(aux))


def _tangent_or_zeros(tangent, output, strict):
    """An output's tangent; for an output independent of the inputs (None), zeros — or, with
    ``strict``, torch's refusal."""
    if tangent is not None:
        return tangent
    if strict:
        raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                           "independent of the inputs. This is not allowed with strict=True.")
    return output.new_zeros(output.shape)


def _jvp_dual(func, flat_p, p_spec, flat_t, strict, has_aux):
    """:func:`_jvp` with dual tensors (forward AD), as torch's: a custom Function's own jvp,
    tangents through ``no_grad`` blocks and in-place ops inside ``func`` — where the
    double-backward trick gave zeros, dropped the tangent, or refused. Inside another
    transform's function, or an open dual level, the trick stays; and where ``func`` itself
    starts a transform (raising :class:`_Nested` before that transform's first step), the
    caller runs ``func`` again with the trick: the leaves those transforms make would drop
    the tangents."""
    _DUAL_RUNS.append(True)
    try:
        return _jvp_dual_run(func, flat_p, p_spec, flat_t, strict, has_aux)
    finally:
        _DUAL_RUNS.pop()


def _jvp_dual_run(func, flat_p, p_spec, flat_t, strict, has_aux):
    with _inference_off(), forward_ad.dual_level():
        duals = []
        for p, t in zip(flat_p, flat_t):
            if not (p.is_floating_point() or p.is_complex()):
                raise ValueError(f"Expected primal to be floating point or complex, but got: "
                                 f"{p.dtype}")
            p, t = (v.clone() if v.is_inference() else v for v in (p, t))   # (normal copies)
            duals.append(forward_ad.make_dual(p, t))
        output, aux = _split_aux(func(*_unflatten(duals, p_spec)), has_aux, _JVP)
        flat_out, out_spec = _flatten(output)
        _check_outputs(flat_out, _JVP)
        primals_out, tangents_out = [], []
        for o in flat_out:
            primal, tangent = forward_ad.unpack_dual(o)
            primals_out.append(primal)
            tangents_out.append(_tangent_or_zeros(tangent, primal, strict))
        aux = _map(lambda a: forward_ad.unpack_dual(a).primal if isinstance(a, Tensor) else a,
                   aux)
    return _unflatten(primals_out, out_spec), _unflatten(tangents_out, out_spec), aux


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J·tangents)`` (and ``aux``); ``tangents`` has the form of
    ``primals``. Computed with dual tensors (:mod:`.autograd.forward_ad`), as torch's; inside
    another transform's function by the double-backward trick."""
    output, jv, aux = _jvp(func, primals, tangents, strict, has_aux, _Level())
    return (output, jv, aux) if has_aux else (output, jv)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J·tangents`` at ``primals``
    (here each call runs the double-backward trick anew)."""
    output = func(*primals)
    flat_p, p_spec = _flatten(primals)

    def jvp_fn(*tangents):
        flat_t, t_spec = _flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {_spec_str(t_spec)} to have the same "
                               f"argspec as the primals {_spec_str(p_spec)}")
        for i, (t, p) in enumerate(zip(flat_t, flat_p)):
            if t.shape != p.shape:
                raise RuntimeError(f"tangent:{i} with shape {t.size()!r} in flattened pytree "
                                   f"doesn't match the shape {p.size()!r} of the corresponding "
                                   f"primal.")
            if t.dtype != p.dtype:
                raise RuntimeError(f"tangent:{i} with dtype {t.dtype} in flattened pytree "
                                   f"doesn't match the dtype {p.dtype} of the corresponding "
                                   f"primal.")
        return _jvp(func, primals, tangents, False, False, _Level())[1]
    return output, jvp_fn


# ---------------------------------------------------------------------- Jacobians
def _jacobian(func, argnums, has_aux, args, api):
    """The Jacobian of ``func(*args)`` w.r.t. ``args[argnums]``, one backward per output
    element: for each output leaf, blocks of shape ``out.shape + arg.shape`` in the form of
    ``args[argnums]`` (a tuple of those for a tuple of argnums)."""
    from .functions.shape import stack
    level = _Level()
    with level.active():
        diff = _map(level.differentiable, _slice_argnums(args, argnums))
        call_args = _replace_args(args, diff if isinstance(argnums, tuple) else diff[0],
                                  argnums)
        output, aux = _split_aux(func(*call_args), has_aux, api)
        flat_out, out_spec = _flatten(output)
        _check_outputs(flat_out, api)
        if api != _JVP:                  # (jacrev is vjp's: torch refuses an integer output;
            for o in flat_out:           # jacfwd's zeros are torch's too)
                if not o.is_floating_point():
                    raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                                       f"complex Tensors, got Tensor with dtype {o.dtype}")
        flat_in, in_spec = _flatten(diff)
        jac = []
        for o in flat_out:
            rows = [level.grads((o.reshape(-1)[j],), flat_in) for j in range(o.numel())]
            blocks = [stack([r[k] for r in rows], 0).reshape(tuple(o.shape) + tuple(x.shape))
                      if rows else x.new_zeros(tuple(o.shape) + tuple(x.shape))
                      for k, x in enumerate(flat_in)]
            blocks = _unflatten(blocks, in_spec)
            jac.append(blocks[0] if isinstance(argnums, int) else blocks)
        jac = level.undo(_unflatten(jac, out_spec))
    return (jac, level.undo(aux)) if has_aux else jac


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of ``func`` w.r.t. ``args[argnums]`` (reverse mode,
    one backward per output element; ``chunk_size`` is only validated and torch's private
    ``_preallocate_and_copy`` ignored: there is no vmap batching to chunk). With
    ``has_aux``: ``(jacobian, aux)``."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        return _jacobian(func, argnums, has_aux, args, "vjp(f, *primals)")
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """A function returning the Jacobian of ``func`` w.r.t. ``args[argnums]`` in forward
    mode, as torch's: one jvp on dual tensors per column (per element of the differentiated
    arguments; torch vmaps its jvp over that basis, here the columns run one after another
    as in :func:`vmap`). ``randomness`` is vmap's: 'error' refuses a random draw inside
    ``func``, 'same' gives every column the same numbers, 'different' one draw per column.
    Inside another transform's function (``grad(jacfwd(f))``), or where ``func`` starts a
    transform itself (``hessian``'s ``jacfwd(jacrev(f))``), it is computed in reverse mode:
    one backward per output element."""
    @functools.wraps(func)
    def wrapper(*args):
        if randomness not in _RANDOMNESS:
            raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', "
                               f"or 'same'. Got {randomness}")
        if not _ACTIVE and not forward_ad.level_open():
            try:
                return _jacfwd_dual(func, argnums, has_aux, args, randomness)
            except _Nested:     # a transform inside func: f runs again, in reverse mode
                pass
        return _jacobian(func, argnums, has_aux, args, _JVP)
    return wrapper


def _jacfwd_dual(func, argnums, has_aux, args, randomness):
    """:func:`jacfwd` on dual tensors. Column ``c`` is ``J e_c``, ``e_c`` the ``c``-th one-hot
    tangent over all differentiated elements; each column runs ``func`` on clones of the
    primals, and an in-place write into them reaches the caller's arguments once, at the end
    (torch's batched run writes once). Output ``o``'s block for argument ``x`` is its
    columns' tangents stacked on a last dim, shaped ``o.shape + x.shape``."""
    from .functions.shape import stack
    flat_p, p_spec = _flatten(_slice_argnums(args, argnums))
    for p in flat_p:
        if not isinstance(p, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(p)}")
    sizes = [p.numel() for p in flat_p]
    total = sum(sizes)

    def call(*diff):
        new = _unflatten(list(diff), p_spec)
        return func(*_replace_args(args, new if isinstance(argnums, tuple) else new[0],
                                   argnums))
    columns, written = [], None
    with _running(TRANSFORMS, "vmap"), _Randomness(randomness).active() as rng:
        for c in range(max(total, 1)):      # (no element: one run, for the outputs' shapes)
            tangents, start = [], 0
            for p, n in zip(flat_p, sizes):
                t = p.new_zeros(p.shape)
                if start <= c < start + n:
                    t.view(-1)[c - start] = 1
                tangents.append(t)
                start += n
            clones = [p.clone() for p in flat_p]
            versions = [x._version for x in clones]
            columns.append(_jvp_dual(call, clones, _flatten(tuple(clones))[1], tangents,
                                     False, has_aux))
            rng.sample_done()
            if c == 0:
                written = [(p, x) for p, x, v in zip(flat_p, clones, versions) if x._version != v]
    for p, x in written:
        with no_grad():
            p.copy_(x)
    flat_out, out_spec = _flatten(columns[0][0])
    per_out = [[] for _ in flat_out]
    for _, jv, _ in columns:
        flat_jv, spec = _flatten(jv)
        if spec != out_spec:
            raise RuntimeError("jacfwd: the columns gave outputs of different structures; "
                               "torch's vmap cannot run such data-dependent code either")
        for column, t in zip(per_out, flat_jv):
            column.append(t)
    jac = []
    for o, column in zip(flat_out, per_out):
        blocks, start = [], 0
        whole = stack(column, -1) if total else None
        for p, n in zip(flat_p, sizes):
            shape = tuple(o.shape) + tuple(p.shape)
            blocks.append(whole.narrow(-1, start, n).reshape(shape) if total
                          else column[0].new_zeros(shape))
            start += n
        blocks = _unflatten(blocks, p_spec)
        jac.append(blocks[0] if isinstance(argnums, int) else blocks)
    jac = _unflatten(jac, out_spec)
    return (jac, columns[0][2]) if has_aux else jac


def hessian(func, argnums=0):
    """``jacfwd(jacrev(func, argnums), argnums)``: blocks of shape ``arg.shape + arg.shape``
    (jacrev inside jacfwd: computed in reverse mode, see :func:`jacfwd`)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------- modules
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given
    Tensors (a dict ``{"fc.weight": t}``, or a tuple/list of dicts with distinct keys) for
    this call: ``grad(lambda p: loss(functional_call(model, p, (x,))))(params)``. The
    replacement is :mod:`nn.utils.stateless`'s (its ``tie_weights`` and ``strict``), without
    its deprecation warning."""
    if isinstance(parameter_and_buffer_dicts, dict):
        named = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        keys = [k for d in parameter_and_buffer_dicts for k in d]
        repeated = list(dict.fromkeys(k for k in keys if keys.count(k) > 1))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             f"functional call is ambiguous")
        named = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, named, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer of ``M`` models of one class stacked
    along a new dim 0, by name, for ``vmap(lambda p, b, x: functional_call(model, (p, b), x),
    in_dims=(0, 0, None))`` (model ensembling). Stacked parameters are new leaves that require
    grad (an optimizer can train them); buffers are plain stacks."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked_leaf(tensors, name):
        if len({bool(t.requires_grad) for t in tensors}) > 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               f".requires_grad")
        from .functions.shape import stack
        result = stack(tensors)
        return result.detach().requires_grad_() if tensors[0].requires_grad else result

    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {k: stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    buffers = {k: stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


# ---------------------------------------------------------------------- vmap
_RANDOMNESS = ("error", "different", "same")


def _vmap_name(func):
    """torch's ``_get_name``: what vmap's messages call the function."""
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_vmap_name(func.func)}, ...)"
    return repr(func)


def _num_leaves(spec):
    return 1 if spec is None else sum(_num_leaves(c) for c in spec[2])


def _broadcast_flat(prefix, spec):
    """torch's ``_broadcast_to_and_flatten``: ``prefix`` (``in_dims`` / ``out_dims``), whose
    leaves stand for whole subtrees of ``spec``, flattened to one entry per leaf of ``spec``;
    None where its structure does not fit."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * _num_leaves(spec)
    if spec is None or type(prefix) is not spec[0] or len(prefix) != len(spec[2]):
        return None
    kind, keys, children = spec
    if keys is not None:
        if set(prefix) != set(keys):
            return None
        # torch walks a dict in the prefix's key order (so does this, to give its numbers)
        items = list(prefix.values())
        children = [children[keys.index(k)] for k in prefix]
    else:
        items = list(prefix)
    flat = []
    for item, child in zip(items, children):
        sub = _broadcast_flat(item, child)
        if sub is None:
            return None
        flat += sub
    return flat


def _vmap_inputs(in_dims, args, name):
    """torch's ``_process_batched_inputs``: (batch size, one in_dim per leaf of ``args``
    (made non-negative), the leaves, their spec), with torch's ValueErrors."""
    head = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): "
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{head}expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                         f"inputs, or you are trying to vmap over a function with no inputs. "
                         f"The latter is unsupported.")
    flat_args, args_spec = _flatten(args)
    flat_dims = _broadcast_flat(in_dims, args_spec)
    if flat_dims is None:
        raise ValueError(f"{head}in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {_spec_str(_flatten(in_dims)[1])} but inputs "
                         f"has structure {_spec_str(args_spec)}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(f"{head}Got in_dim={d} for an input but in_dim must be either an "
                             f"integer dimension or None.")
        if d is None:
            continue
        if not isinstance(arg, Tensor):
            raise ValueError(f"{head}Got in_dim={d} for an input but the input is of type "
                             f"{type(arg)}. We cannot vmap over non-Tensor arguments, please "
                             f"use None as the respective in_dim")
        if not -arg.dim() <= d < arg.dim():
            raise ValueError(f"{head}Got in_dim={d} for some input, but that input is a Tensor "
                             f"of dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        flat_dims[i] = d % arg.dim()
    sizes = [arg.shape[d] for arg, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, args_spec


def _check_out_dims(out_dims, name):
    for d in ([out_dims] if isinstance(out_dims, int) else _flatten(out_dims)[0]):
        if not (d is None or isinstance(d, int)):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an "
                             f"int, None or a python collection of ints representing where in "
                             f"the outputs the vmapped dimension should appear.")


@contextlib.contextmanager
def _running(stack, item):
    """``item`` on ``stack`` while the block runs."""
    stack.append(item)
    try:
        yield
    finally:
        stack.remove(item)


class _Randomness:
    """One running vmap's ``randomness``, told of every draw by the random module
    (``random.generator.DRAW_HOOKS``). 'error' raises torch's RuntimeError; 'same' replays,
    for every sample, the generator states the first sample started from, and leaves each
    generator as one sample left it; 'different' lets the samples draw one after another."""

    def __init__(self, mode):
        self.mode, self.before, self.after = mode, {}, {}

    def __call__(self, gen):
        if self.mode == "error":
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
        if self.mode == "same" and id(gen) not in self.before:
            self.before[id(gen)] = (gen, gen.state_bytes())

    def sample_done(self):
        for key, (gen, state) in self.before.items():
            self.after.setdefault(key, (gen, gen.state_bytes()))
            gen.set_state(state)

    def finish(self):
        for gen, state in self.after.values():
            gen.set_state(state)

    @contextlib.contextmanager
    def active(self):
        from .random.generator import DRAW_HOOKS
        DRAW_HOOKS.append(self)
        try:
            yield self
        finally:
            DRAW_HOOKS.remove(self)
        self.finish()


def _stack_out(name, samples, out_dim, batch):
    """One output leaf: the per-sample values stacked along ``out_dim`` (torch's
    ``_maybe_remove_batch_dim``); for ``out_dim=None`` the value, which must not vary."""
    first = samples[0]
    if out_dim is None:
        if isinstance(first, Tensor) and any(
                not isinstance(s, Tensor) or s.shape != first.shape or s.dtype != first.dtype
                or not np.array_equal(s.array, first.array,
                                      equal_nan=first.array.dtype.kind in "fc")
                for s in samples[1:]):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                             f"when out_dim is None")
        return first
    if not isinstance(first, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(first)}. Did you mean to set out_dims= to None for output?")
    nd = first.dim()
    if not -(nd + 1) <= out_dim <= nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-(nd + 1)}, "
                         f"{nd}], but got {out_dim})")
    if batch == 0:
        shape = list(first.shape)
        shape.insert(out_dim % (nd + 1), 0)
        return first.new_zeros(tuple(shape))
    for s in samples[1:]:
        if not isinstance(s, Tensor) or s.shape != first.shape:
            raise RuntimeError(f"vmap({name}, ...): the samples gave outputs of different "
                               f"shapes ({tuple(first.shape)} and "
                               f"{tuple(s.shape) if isinstance(s, Tensor) else type(s)}); "
                               f"torch's vmap cannot run such data-dependent code either")
    from .functions.shape import stack
    return stack(samples, out_dim)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``torch.func.vmap`` (also ``tinygrad_sgd.vmap``): ``func`` mapped over a dimension of
    its inputs — ``vmap(f)(x)[i] == f(x[i])``.

    ``in_dims``: an int (every positional argument), or a tuple matching ``args`` whose
    leaves (int or None) stand for whole sub-pytrees; None passes an argument (Tensor or
    not) to every call unchanged; negative dims count from the end. ``out_dims``: an int or
    a pytree (prefix) of ints / None matching the outputs: where the mapped dimension goes;
    None for an output that does not vary over the batch. Keyword arguments are not mapped.
    Errors are torch's (ValueError for the shapes and structures of in_dims / out_dims and
    for non-Tensor outputs, IndexError for an out_dim out of range).

    How: this is torch's own slow fallback for ops without a batching rule, used for
    everything — ``func`` runs once per sample on a copy of ``x.select(in_dim, i)``
    (gradients flow back through it; a sample written in place is copied back into the
    input afterwards, as torch's in-place ops write into it) and the results are stacked
    along ``out_dims``, so the values are exactly the per-sample values and the whole thing
    is differentiable: ``vmap(grad(f))`` gives per-sample gradients, ``grad(lambda x:
    vmap(f)(x).sum())``, ``jacrev`` inside vmap and nested ``vmap(vmap(f))`` compose.
    ``chunk_size`` (None or > 0) gives the same results: every sample is already its own call.

    ``randomness``: 'error' (default) raises torch's RuntimeError at any draw inside; 'same'
    gives every sample the same numbers (torch's); 'different' lets the samples draw one
    after another, which is torch's batched draw for element-wise streams (``rand``,
    ``uniform_``, ``bernoulli``, dropout, ``randint``) mapped over dim 0, and for normals of
    under 16 elements in all (samples × elements per sample). Not the same numbers as torch
    (but as random): normals of 16 or more elements in all, over two or more samples (torch
    transforms the whole batch in Box–Muller blocks),
    and draws into Tensors made from an input mapped over a dimension other than 0
    (``rand_like(a)``, ``a.clone().uniform_()``: torch fills the batch in its memory order).
    An in-place draw into a Tensor that does not depend on a mapped input
    (``empty(4).uniform_()``) draws per sample here; torch refuses it in 'different' mode.

    Where this differs from torch:

    * ``.item()``, ``bool()`` and Python control flow on a Tensor derived from a mapped
      input work (per sample) — torch raises RuntimeError for them.
    * An in-place op on an argument with ``in_dim=None`` would run once per sample; it raises
      RuntimeError here (torch raises when the written value varies over the batch, and
      writes once when it does not). Closed-over Tensors are not checked: an in-place
      write into one inside ``func`` runs once per sample (torch: once, or an error).
    * An ``out_dims=None`` output counts as unbatched when it is equal for every sample
      (torch raises when it was computed from a mapped input even if equal).
    * The same Tensor passed as two mapped arguments gives each call two copies: an in-place
      write into one is not seen in the other within that call.
    * A batch of size 0 calls ``func`` once on zeros of one sample's shape, to learn the
      outputs' shapes and dtypes.
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and not isinstance(chunk_size, int):
        raise TypeError(f"vmap: chunk_size must be None or an int, got {type(chunk_size)}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        name = _vmap_name(func)
        _check_out_dims(out_dims, name)
        batch, flat_dims, flat_args, args_spec = _vmap_inputs(in_dims, args, name)
        unmapped = [(a, a._version) for a, d in zip(flat_args, flat_dims)
                    if d is None and isinstance(a, Tensor)]
        outputs = []
        with _running(TRANSFORMS, "vmap"), _Randomness(randomness).active() as rng:
            for i in range(max(batch, 1)):
                leaves = [a if d is None else
                          a.select(d, i).clone() if batch else
                          a.new_zeros(tuple(a.shape[:d]) + tuple(a.shape[d + 1:]))
                          for a, d in zip(flat_args, flat_dims)]
                versions = [x._version if d is not None else None
                            for x, d in zip(leaves, flat_dims)]
                outputs.append(func(*_unflatten(leaves, args_spec), **kwargs))
                rng.sample_done()
                for a, d, x, v in zip(flat_args, flat_dims, leaves, versions):
                    if batch and d is not None and x._version != v:    # written in place
                        a.select(d, i).copy_(x)
                if any(a._version != v for a, v in unmapped) and batch > 1:
                    raise RuntimeError(f"vmap({name}, ...): an in-place operation changed an "
                                       f"input with in_dim=None; this vmap runs `{name}` once "
                                       f"per sample, so it would change it {batch} times. "
                                       f"Map that input, or do the in-place op outside vmap")
        flat_first, out_spec = _flatten(outputs[0])
        per_leaf = [[] for _ in flat_first]
        for out in outputs:
            flat, spec = _flatten(out)
            if spec != out_spec:
                raise RuntimeError(f"vmap({name}, ...): the samples gave outputs of different "
                                   f"structures; torch's vmap cannot run such data-dependent "
                                   f"code either")
            for column, leaf in zip(per_leaf, flat):
                column.append(leaf)
        incompatible = ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`. out_dims has structure "
            f"{_spec_str(_flatten(out_dims)[1])} but outputs has structure "
            f"{_spec_str(out_spec)}.")
        if isinstance(outputs[0], Tensor):          # torch's edge case: (d,) for one Tensor
            if isinstance(out_dims, int) or out_dims is None:
                flat_out_dims = [out_dims]
            elif isinstance(out_dims, tuple) and len(out_dims) == 1:
                flat_out_dims = list(out_dims)
            else:
                raise incompatible
        else:
            flat_out_dims = _broadcast_flat(out_dims, out_spec)
            if flat_out_dims is None:
                raise incompatible
        return _unflatten([_stack_out(name, column, d, batch)
                           for column, d in zip(per_leaf, flat_out_dims)], out_spec)
    return wrapped
