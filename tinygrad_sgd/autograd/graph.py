"""``torch.autograd.graph``'s saved-tensor hooks: a pair of functions through which the graph
keeps what backward will need::

    def pack_hook(x):          # called when an op saves x for backward
        return x.detach().numpy().copy()       # anything: a copy, a file name, a compressed form
    def unpack_hook(packed):   # called when backward asks for it again
        return tg.tensor(packed)

    with tg.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
        y = a * b              # Mul saves a and b: pack_hook(a), pack_hook(b)
    y.sum().backward()         # MulBackward reads them: unpack_hook(...) twice

Hooks apply to the Tensors an op keeps with ``save_for_backward`` (every custom
``autograd.Function``'s ``ctx.save_for_backward``, and the library's ops that save their
input Tensors) and to the forward result an op keeps for backward (``exp``, ``sigmoid``,
``softmax``...: as torch, ``pack_hook`` is given the output Tensor itself); a mask or an index an
op keeps as a NumPy array is kept as it is.
The innermost pair in effect when the op ran is used. As in torch, what ``unpack_hook`` returns
is not checked against in-place changes (the hooks own what was saved: a copy made by
``pack_hook`` keeps the old values). The graph still keeps the saved Tensors themselves too (some
ops read their shapes), so hooks change what backward computes with, not the memory held.
"""
import abc
import contextlib

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node",
           "increment_version", "register_multi_grad_hook"]


class Node(abc.ABC):
    """torch's ``autograd.graph.Node``: ``isinstance(y.grad_fn, Node)`` holds for every node
    (the library's ``Function`` and ``AccumulateGrad`` are registered as its subclasses)."""


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each of a sequence of tensors), as an
    in-place change made behind autograd's back would have: a node that saved it then refuses
    it in backward."""
    from .. import versions
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        versions.bump(t.array)

_stack = []                 # (pack_hook, unpack_hook) pairs, innermost last
_disabled = [None]          # the error message while hooks are disabled, else None


def pack(tensors):
    """``(unpack_hook, packed tensors)`` for tensors an op saves, or None without hooks. The
    hook runs with the hooks set aside, so that the ops it calls save their inputs as
    usual (instead of packing again, without end), and with grad mode off, as torch's; it
    must not change its tensor in place (torch's error)."""
    if not _stack:
        return None
    from .grad_mode import no_grad
    pack_hook, unpack_hook = _stack[-1]
    outer = _stack[:]
    _stack.clear()
    try:
        with no_grad():
            return unpack_hook, [None if t is None else _packed(pack_hook, t) for t in tensors]
    finally:
        _stack[:] = outer


def _packed(pack_hook, t):
    version = t._version
    packed = pack_hook(t)
    if t._version != version:
        raise RuntimeError("A saved tensor pack hook is modifying its input in place. Tensors "
                           "provided as input to pack hook cannot be modified by in-place "
                           "operations as this can lead to unexpected side-effects. Please "
                           "open an issue if you need to perform in-place operations on the "
                           "input to a pack hook.")
    return packed


class saved_tensors_hooks:
    """Context manager: inside it, every tensor saved for backward goes through
    ``pack_hook(tensor)`` when saved and ``unpack_hook(packed)`` when backward reads it (see
    the module docstring). Don't change the tensor a hook is given in place."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _stack.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """torch's hooks that move saved tensors to the CPU memory (``pin_memory`` pins them): here
    every tensor already lives there, so each is kept as it is."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: t, lambda t: t)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside it, entering :class:`saved_tensors_hooks` raises ``RuntimeError(error_message)``."""
    before = _disabled[0]
    _disabled[0] = error_message
    try:
        yield
    finally:
        _disabled[0] = before


# ----------------------------------------------------------------------------- multi-grad hooks
class _MultiHandle:
    """The handle of :func:`register_multi_grad_hook`: ``remove()`` takes out the hook it put
    on each tensor."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """torch's hook on several tensors at once, made of one tensor hook on each.

    ``mode="all"``: ``fn(grads)`` once per backward run, after the gradients of all the
    tensors that run reaches (those it does not reach, or that lead to none of its ``inputs``,
    are not waited for), with a list of them in the order of ``tensors`` (None for those not
    computed). ``mode="any"``: ``fn(grad)`` with the first of them computed in the run. ``fn``
    should not change what it is given (what it returns is ignored). A rerun through a
    retained graph calls it again. Returns a handle with ``remove()``."""
    from .engine import GraphTask
    modes = ("all", "any")
    if mode not in modes:
        raise ValueError(f"Expects mode to be one of {modes} but got {mode}")
    if mode == "all":
        for t in tensors:
            if not t.requires_grad:            # (torch: no node to put the hook on)
                raise AssertionError("Expected gradient function to be set")
        count, buffer, expected = {}, {}, {}

        def inner_hook(i):
            def hook(grad):
                task = GraphTask.current()
                if task is None:
                    raise AssertionError("expected this hook to be called inside a backward "
                                         "call")
                seen = count.get(task.id, 0)
                if seen == 0:     # the first call of this run: how many will come
                    expected[task.id] = sum(map(task.will_run_hooks_of, tensors))
                    buffer[task.id] = [None] * len(tensors)
                count[task.id] = seen + 1
                buffer[task.id][i] = grad
                if seen == expected[task.id] - 1:
                    grads = buffer.pop(task.id)
                    del count[task.id], expected[task.id]
                    fn(grads)
            return hook
        handles = tuple(t.register_hook(inner_hook(i)) for i, t in enumerate(tensors))
    else:
        ran = set()                # the runs that called fn already

        def once(grad):
            task = GraphTask.current()
            if task is None:
                raise AssertionError("expected this hook to be called inside a backward call")
            if task.id not in ran:
                ran.add(task.id)
                fn(grad)
        handles = tuple(t.register_hook(once) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)
