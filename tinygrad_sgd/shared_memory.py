"""Tensors in shared memory, for several processes at once (torch's ``share_memory_``).

``t.share_memory_()`` moves a tensor's values into memory that other processes can map: an
anonymous file (Linux's ``memfd_create``) mapped with ``MAP_SHARED``. A child made by ``fork``
after that maps the same pages, and so does a process the tensor is sent to through
:mod:`tinygrad_sgd.multiprocessing` (a queue, a ``Process``'s arguments under ``spawn``): the
file's descriptor travels with it, as with torch's default ``file_descriptor`` strategy. An
in-place update in any of them (``add_``, an optimizer's step) is seen by all — the Hogwild
pattern::

    model.share_memory()                   # parameters (and gradients) into shared memory
    for rank in range(4):
        mp.Process(target=train, args=(model,)).start()   # each trains the same numbers

As torch, the whole storage moves (a view's ``share_memory_()`` moves the memory it views);
one difference: a NumPy array cannot change the memory under views that already exist, so
other tensors viewing the old memory (made before the call) keep it — a warning says so.

Pickled for another process by ``multiprocessing`` (``ForkingPickler``), a tensor is sent as
a reference to shared memory (moved there first if needed: it stays shared in the sender, as
in torch); pickled any other way (``pickle``, ``torch.save``) it is copied as before.
"""
import mmap
import os
import sys
import warnings

import numpy as np

from .errors import warn_level
from . import versions
from .tensor import Tensor, tensor_method

__all__ = ["is_shared", "share_memory_", "reduce_tensor", "init_reductions"]


class _SharedBlock(mmap.mmap):
    """A shared mapping of an anonymous file, which keeps the file's descriptor (to send it to
    another process) until it is unmapped."""

    def close(self):
        super().close()
        self._close_fd()

    def _close_fd(self):
        fd, self.fd = getattr(self, "fd", -1), -1
        if fd >= 0:
            os.close(fd)

    def __del__(self):
        self._close_fd()


def _map(fd, nbytes):
    block = _SharedBlock(fd, max(nbytes, 1), flags=mmap.MAP_SHARED,
                         prot=mmap.PROT_READ | mmap.PROT_WRITE)
    block.fd = fd
    return block


def _new_block(nbytes):
    """``nbytes`` of zeroed shared memory."""
    fd = os.memfd_create("tinygrad_sgd-shared", 0)
    try:
        os.ftruncate(fd, max(nbytes, 1))
        return _map(fd, nbytes)
    except BaseException:
        os.close(fd)
        raise


def _block_of(array):
    """The shared block behind ``array``'s memory, or None."""
    base = versions.memory_owner(array).base        # (np.frombuffer's: a memoryview of it)
    base = base.obj if isinstance(base, memoryview) else base
    return base if isinstance(base, _SharedBlock) else None


def _offset(array, owner):
    return array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]


@tensor_method
def is_shared(self):
    """Whether the tensor's memory is shared memory (see :func:`share_memory_`)."""
    return _block_of(self.array) is not None


@tensor_method
def share_memory_(self):
    """Move this tensor's memory — the whole block it views — into shared memory, and with it
    the tensors known to view that block (its base and the base's views, as torch moves the
    storage under all of them); nothing to do if it is shared already. Returns self."""
    if _block_of(self.array) is not None:
        return self
    owner = versions.memory_owner(self.array)
    family = [t for t in _views_of_the_same_base(self)
              if versions.memory_owner(t.array) is owner]
    flat = np.frombuffer(_new_block(owner.nbytes), np.uint8, owner.nbytes)
    np.copyto(np.ndarray(owner.shape, owner.dtype, flat, 0, owner.strides), owner,
              casting="no")
    for t in family:
        t.array = _same_place(t.array, owner, flat)
    versions.carry(owner, family[0].array)
    if _still_referenced(owner):
        warnings.warn("share_memory_(): something else still viewed this tensor's memory (a "
                      "view made under no_grad, .data, a NumPy array from .numpy(), a tensor "
                      "saved for backward): it keeps the old memory, not shared — make it "
                      "after share_memory_()", UserWarning, stacklevel=warn_level(2))
    return self


def _views_of_the_same_base(t):
    """``t`` first, then its base and the base's other views, as far as the graph recorded
    them (views made in grad mode: ``Function._record_view``)."""
    view = t.__dict__.get("_view")
    base = t if view is None else view[0]
    family = [t] if base is t else [t, base]
    family += [v for v in list(base.__dict__.get("_views", ())) if v is not t]
    return family


def _same_place(array, owner, flat):
    """``array``'s elements at the same place in ``flat`` (a copy of ``owner``'s bytes)."""
    moved = np.ndarray(array.shape, array.dtype, flat, _offset(array, owner), array.strides)
    if not array.flags.writeable:
        moved.flags.writeable = False
    return moved


def _still_referenced(owner):
    """Whether anything but this call (its name, getrefcount's argument) and the arrays the
    kernels' buffer pool keeps over the memory still refers to ``owner``."""
    from .kernels import buffers
    kept = buffers.kept_over(owner) if buffers.span(owner) is not None else []
    return sys.getrefcount(owner) > 3 + len(kept)


# ---------------------------------------------------------------------------- to other processes
def reduce_tensor(t):
    """How ``multiprocessing`` sends a tensor to another process: a reference to its shared
    memory (moved there first), rebuilt there as a tensor of the same class over the same
    pages (not its ``.grad``, as torch). A tensor computed by the graph that requires grad is
    refused with torch's message."""
    from multiprocessing.reduction import DupFd
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, "
                           "since autograd does not support crossing process boundaries.  If "
                           "you just want to transfer the data, call detach() on the tensor "
                           "before serializing (e.g., putting it on the queue).")
    share_memory_(t)
    array = t.array
    block, owner = _block_of(array), versions.memory_owner(array)
    return (_rebuild_tensor, (type(t), DupFd(block.fd), len(block), array.dtype.str,
                              array.shape, array.strides, _offset(array, owner),
                              t.requires_grad))


def _rebuild_tensor(cls, dup_fd, nbytes, dtype, shape, strides, offset, requires_grad):
    block = _map(dup_fd.detach(), nbytes)
    flat = np.frombuffer(block, np.uint8, nbytes)
    array = np.ndarray(shape, np.dtype(dtype), flat, offset, strides)
    if cls is Tensor:
        t = Tensor._of(array)
        t.requires_grad = requires_grad
        return t
    return cls(Tensor._of(array), requires_grad)      # (Parameter: over the same memory)


def init_reductions(*classes):
    """Register :func:`reduce_tensor` with ``multiprocessing``'s pickler for Tensor and each
    of ``classes`` (its table is by exact class; torch's ``init_reductions``): at the library's
    import, and for Parameter at ``nn``'s."""
    from multiprocessing.reduction import ForkingPickler
    for cls in (Tensor,) + classes:
        ForkingPickler.register(cls, reduce_tensor)
