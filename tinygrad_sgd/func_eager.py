"""``torch.func``'s helpers beside the transforms (:mod:`.func` imports them):
``functionalize``, ``replace_all_batch_norm_modules_`` and ``debug_unwrap``.

``functionalize(f)`` is torch's tool for graph capture: it gives a function that computes what
``f`` computes without in-place changes or aliasing inside. Run eagerly, as here, what shows
is torch's bookkeeping at the edges, which this reproduces: ``f`` runs on copies of its Tensor
arguments (anywhere in tuples, lists and dicts); an argument ``f`` changed in place gets the
new values copied back into it (``x.copy_(new)``: a leaf that requires grad is refused, as
torch's); a result is a new tensor, but for an unchanged argument handed back as it is (that
argument itself) or, under ``remove="mutations"``, a view of one (the same view of the
argument). ``remove="mutations_and_views"`` returns views as tensors of their own.
"""
import functools

from .tensor import Tensor

__all__ = ["functionalize", "replace_all_batch_norm_modules_", "debug_unwrap"]

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func, *, remove="mutations"):
    """``func`` as torch's functionalization runs it eagerly (see the module's notes)."""
    from .func import _flatten, _unflatten
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove="
            f"{remove}. Valid options are:\n     remove='mutations': all inplace and out= "
            f"operators will be removed from the program, and replaced with their out-of-place "
            f"equivalents.\n     remove='mutations_and_views': In addition to the above, all "
            f"aliasing operators {{view}} will be replaced with their non-aliasing "
            f"counterparts, {{view}}_copy.\n")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec = _flatten((args, kwargs))
        inputs = [t for t in leaves if isinstance(t, Tensor)]
        copies = {id(t): t.clone() for t in inputs}
        versions = {id(t): copies[id(t)]._version for t in inputs}
        args, kwargs = _unflatten([copies.get(id(t), t) if isinstance(t, Tensor) else t
                                   for t in leaves], spec)
        out = func(*args, **kwargs)
        changed = {}                                     # copy -> the argument it came from
        unchanged = {}
        for t in inputs:
            copy = copies[id(t)]
            (changed if copy._version != versions[id(t)] else unchanged)[id(copy)] = t
        for t in changed.values():
            t.copy_(copies[id(t)])
        results, out_spec = _flatten(out)
        return _unflatten([_result(r, unchanged, remove) for r in results], out_spec)
    return wrapped


def _result(r, unchanged, remove):
    """A result as the caller gets it: an unchanged argument's copy is the argument again."""
    if not isinstance(r, Tensor):
        return r
    if id(r) in unchanged:
        return unchanged[id(r)]
    base, replay = r.__dict__.get("_view") or (None, None)
    if base is None:
        return r
    if remove == "mutations" and id(base) in unchanged and replay is not None:
        return replay(unchanged[id(base)])            # the same view, of the argument
    return r.clone()                                  # (a view of a copy: one of its own)


def replace_all_batch_norm_modules_(root):
    """In place, as torch's: every BatchNorm module under ``root`` (and ``root`` itself) that
    tracks running statistics stops doing so — ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` become None and ``track_running_stats`` False — so that it always
    normalizes with the batch's statistics (what ``vmap`` over a model needs). Returns root."""
    from .nn.modules.batchnorm import _BatchNorm
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def debug_unwrap(tensor, *, recurse=True):
    """The tensor a transform wrapped ``tensor`` in, unwrapped. This library's transforms do
    not wrap tensors (``vmap`` runs the function per sample on plain tensors, ``grad`` on
    plain tensors that require grad), so this is ``tensor`` itself."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_functorch_wrapped_tensor(): incompatible function arguments. The "
                        f"following argument types are supported:\n    1. (arg0: torch.Tensor) "
                        f"-> bool\n\nInvoked with: {tensor!r}")
    return tensor
