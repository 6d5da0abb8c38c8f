"""torch.multiprocessing: Python's :mod:`multiprocessing`, whose pickler sends tensors to other
processes through shared memory (:mod:`tinygrad_sgd.shared_memory`) instead of copying them.

Everything of :mod:`multiprocessing` is here under the same names (``Process``, ``Queue``,
``Pool``, ``get_context``, ``set_start_method`` ...), as in torch; a tensor put on a queue or
given to a ``Process`` started with ``spawn`` arrives as a tensor over the same memory, so an
in-place change on either side is seen by the other. Plus torch's :func:`spawn` /
:func:`start_processes` (run ``fn(i, *args)`` in ``nprocs`` processes, a child's exception
raised in the parent with its traceback) and its sharing-strategy functions.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from ..shared_memory import init_reductions
from .spawn import (ProcessContext, ProcessExitedException, ProcessRaisedException,  # noqa: F401
                    SpawnContext, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", "SpawnContext"] + list(multiprocessing.__all__)

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def get_all_sharing_strategies():
    """torch's strategies on Linux: ``{'file_descriptor', 'file_system'}``."""
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy


def set_sharing_strategy(new_strategy):
    """As torch: one of :func:`get_all_sharing_strategies`, else torch's AssertionError. (Here
    both send the shared file's descriptor; torch's ``file_system`` names a file in /dev/shm
    instead, to spare descriptors: what the processes see is the same.)"""
    global _strategy
    assert new_strategy in _STRATEGIES, (f"invalid sharing strategy {new_strategy!r}, "
                                         f"expected one of {_STRATEGIES}")
    _strategy = new_strategy


init_reductions()
