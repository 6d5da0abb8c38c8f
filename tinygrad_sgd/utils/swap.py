"""``torch.utils.swap_tensors(t1, t2)``: two tensor objects exchange everything they hold.

After the swap, ``t1`` is the object it was (same ``id``, the same entry in a module or an
optimizer) with ``t2``'s values, dtype, shape, ``grad``, ``requires_grad``, graph node, class
(a Parameter stays where it was, but may now be a plain Tensor) and ``__dict__`` attributes;
``t2`` has ``t1``'s. Here a tensor's whole state lives in its ``__dict__``, so swapping the
class and the ``__dict__`` is the swap; the view bookkeeping (a view remembers its base, a
base its views) is turned to the objects that now hold each side.

As torch, it refuses a tensor something else holds on to: a weak reference to it, different
``__slots__``, and views of it (torch's "use count": each view holds its base); and a backward
through a graph recorded before the swap refuses to give a swapped leaf that required grad its
gradient (torch's "poisoned" AccumulateGrad). One check of torch's is not made: a tensor saved
by a graph that has not run backward yet is swapped here, where torch refuses it.
"""
import copyreg
import weakref

from ..autograd.function import _sequence

__all__ = ["swap_tensors"]


def _live_views(t):
    return list(t.__dict__.get("_views", ()))


def _weakrefs_of_others(t):
    """The weak references to ``t`` but for the one its base's set of views keeps."""
    view = t.__dict__.get("_view") if hasattr(t, "__dict__") else None
    own = set(view[0].__dict__.get("_views", weakref.WeakSet()).data) if view else set()
    return [r for r in weakref.getweakrefs(t) if r not in own]


def _check_use_count(t, name):
    use_count = 1 + len(_live_views(t))
    if use_count == 1:
        return
    if use_count == 2 and t.is_leaf and not t.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    raise RuntimeError(f"Expected use_count of {name} to be 1 or 2 with an AccumulateGrad node "
                       f"but got {use_count} make sure you are not holding references to the "
                       f"tensor in other places.")


def swap_tensors(t1, t2):
    """Swap the contents of the tensor objects ``t1`` and ``t2`` (see the module's notes)."""
    if _weakrefs_of_others(t1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if _weakrefs_of_others(t2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    if set(copyreg._slotnames(t1.__class__)) != set(copyreg._slotnames(t2.__class__)):
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    for t, name in ((t1, "t1"), (t2, "t2")):
        if not hasattr(t, "is_leaf"):
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
        _check_use_count(t, name)
    if t1 is t2:
        return
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    d1, d2 = t1.__dict__, t2.__dict__
    t1.__dict__, t2.__dict__ = d2, d1
    for now, was in ((t1, d1), (t2, d2)):
        if was.get("_requires_grad") and was.get("grad_fn") is None:
            now.__dict__["_swapped_at"] = next(_sequence)    # graphs recorded so far give a
    for now, was in ((t1, t2), (t2, t1)):                   # gradient to what it held: refused
        view = now.__dict__.get("_view")
        if view is not None and view[0] is not now:        # its base lists it under its name
            views = view[0].__dict__.get("_views")
            if views is not None and any(v is was for v in views):
                views.data = {r for r in views.data if r() is not was}   # (no ==: a Tensor's
                views.add(now)                                          # is elementwise)
