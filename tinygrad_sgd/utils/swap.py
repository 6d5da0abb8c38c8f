"""``torch.utils.swap_tensors(t1, t2)``: two tensor objects exchange everything they hold.

After the swap, ``t1`` is the object it was (same ``id``, the same entry in a module or an
optimizer) with ``t2``'s values, dtype, shape, ``grad``, ``requires_grad``, graph node, class
(a Parameter stays where it was, but may now be a plain Tensor) and ``__dict__`` attributes;
``t2`` has ``t1``'s. Here a tensor's whole state lives in its ``__dict__``, so swapping the
class and the ``__dict__`` is the swap; the view bookkeeping (a view remembers its base, a
base its views) is turned to the objects that now hold each side.

As torch, it refuses a tensor something else holds on to: a weak reference to it, different
``__slots__``, and views of it and graphs that saved it (torch's "use count": each view holds
its base, each saved input its tensor, :func:`_graph_references`); and a backward through a
graph recorded before the swap refuses to give a swapped leaf that required grad its gradient
(torch's "poisoned" AccumulateGrad).
"""
import contextlib
import copyreg
import gc
import weakref

from ..autograd.function import Function, _sequence
from ..tensor import Tensor

__all__ = ["swap_tensors"]


def _weakrefs_of_others(t):
    """The weak references to ``t`` but for the one its base's set of views keeps."""
    view = t.__dict__.get("_view") if hasattr(t, "__dict__") else None
    own = set(view[0].__dict__.get("_views", weakref.WeakSet()).data) if view else set()
    return [r for r in weakref.getweakrefs(t) if r not in own]


def _graph_references(tensors):
    """For each tensor, the references torch's graphs would hold to it: (1 for the
    AccumulateGrad node of a leaf that requires grad and that a live graph leads to, and 1
    for each input a live node saved it as, where torch's node saves it) — for the gradient
    of another input it saved (``a * b`` keeps b for a's gradient, and a only if b needs one;
    a linear layer keeps its weight only if its input needs a gradient), or as the node's
    only tensor input (``a.sin()``). (torch's rule is per op; this one misses an input
    whose own gradient reads it beside another's, as the divisor of ``b / a``.) The
    references are found through gc's referrers (tuples of tensors and nodes: a node's
    ``_edges`` and ``_saved``; then the nodes holding those), one or two scans of its objects
    per swap: swap_tensors is rare, and no op pays for it. ``tensors``: a tuple. Each count
    is ``(edge, saved, views)``: ``views`` the live views whose ``_base`` the tensor is (each
    holds its base in torch too, made in grad mode, under no_grad or in inference_mode)."""
    referrers = gc.get_referrers(*tensors)
    holders = [h for h in referrers if type(h) is tuple and h is not tensors
               and all(e is None or isinstance(e, (Tensor, Function)) for e in h)]
    bases = [d.get("_view_base") for d in
             (r.__dict__ if isinstance(r, Tensor) else r for r in referrers
              if isinstance(r, Tensor) or type(r) is dict)]       # (a view, or its __dict__)
    nodes = [d if type(d) is dict else d.__dict__ for d in
             (gc.get_referrers(*holders) if holders else ())
             if type(d) is dict or isinstance(d, Function)]   # (a node, or its __dict__)
    counts = []
    for t in tensors:
        edge, saved = False, 0
        for d in nodes:
            edges, held = d.get("_edges"), d.get("_saved")
            if type(edges) is not tuple:
                continue
            if t.__dict__.get("grad_fn") is None and any(e is t for e in edges):
                edge = True
            if type(held) is tuple and "_versions" in d and any(s is t for s in held):
                saved += _saved_slots(t, d, edges, held)
        counts.append((edge, saved, sum(b is t for b in bases)))
    return counts


def _saved_slots(t, node, edges, held):
    """How many of the node's inputs that are ``t`` torch's node would have saved (see
    :func:`_graph_references`)."""
    kept = {i: k() if isinstance(k, weakref.ref) else k
            for i, k in node.get("_kept_inputs", {}).items()}
    mine = _places(t, edges, kept)
    saved = {j for x in held if x is not None for j in _places(x, edges, kept)} | set(mine)
    alone = len(mine) == len(kept) + sum(e is not None for e in edges)   # its only tensor
    count = sum(1 for i in mine
                if any(edges[j] is not None for j in saved if j != i)
                or alone and edges[i] is not None)
    return min(count, sum(s is t for s in held))


def _places(x, edges, kept):
    """The argument positions of the tensor ``x`` in a node: by its edge (x, a leaf, or its
    grad_fn) where it needs a gradient, else among the inputs the node keeps."""
    fn = x.__dict__.get("grad_fn")
    return [i for i, e in enumerate(edges) if e is not None and (e is x or fn is not None
                                                                 and e is fn)] + \
        [i for i, k in kept.items() if k is x]


def _check_use_count(t, name, held):
    """torch's check: one reference (the Python object's), or two for a leaf whose second is
    its AccumulateGrad node (``held``: (whether a graph leads to it, how many saved inputs
    hold it, how many views hold it as their base), from :func:`_graph_references`)."""
    edge, saved, views = held
    use_count = 1 + views + int(edge) + saved
    if use_count == 1:
        return
    if use_count == 2 and t.is_leaf:
        if not t.requires_grad:
            raise RuntimeError("It is not possible to get the gradient edge for a Tensor that "
                               "does not require gradients")
        if edge:
            return
    raise RuntimeError(f"Expected use_count of {name} to be 1 or 2 with an AccumulateGrad node "
                       f"but got {use_count} make sure you are not holding references to the "
                       f"tensor in other places.")


_known = None      # {id(tensor): its graph references}, inside references_found


@contextlib.contextmanager
def references_found(tensors):
    """Inside, :func:`swap_tensors` takes the graph references of each of ``tensors`` from one
    scan of gc's objects made here for all of them, instead of a scan or two a swap (each
    reads every object the program has: ~0.1 s with a million of them). For
    ``Module.to``'s conversion, which swaps every parameter and gradient: a tensor swapped
    inside that is not one of ``tensors`` is taken to be held by no graph — the conversion's
    new tensors, made under no_grad after the scan."""
    global _known
    tensors = tuple(tensors)          # (held: no id of theirs is reused while inside)
    _known = dict(zip(map(id, tensors), _graph_references(tensors))) if tensors else {}
    try:
        yield
    finally:
        _known = None


def swap_tensors(t1, t2):
    """Swap the contents of the tensor objects ``t1`` and ``t2`` (see the module's notes)."""
    if _weakrefs_of_others(t1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if _weakrefs_of_others(t2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    if set(copyreg._slotnames(t1.__class__)) != set(copyreg._slotnames(t2.__class__)):
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    for t in (t1, t2):
        if not hasattr(t, "is_leaf"):
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
    pair = (t1, t2)
    found = _graph_references(pair) if _known is None else \
        [_known.get(id(t), (False, 0, 0)) for t in pair]
    for t, name, held in zip(pair, ("t1", "t2"), found):
        _check_use_count(t, name, held)
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
