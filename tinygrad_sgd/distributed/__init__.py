"""``torch.distributed`` for a world of one process.

torch's distributed package runs one process per worker and sums gradients across them. This
library runs in one process, so it offers the one world that needs no other process: a
process group of **one rank** (rank 0, world size 1), as torch's ``gloo`` backend makes it with
``init_process_group("gloo", rank=0, world_size=1, ...)``. In such a world every collective is
what it is in torch — the sum, mean, min or max over one rank is the tensor itself, a gather
gives a list of one, a broadcast from rank 0 changes nothing — so a training script written for
``torchrun`` (nanoGPT's ``from torch.distributed import init_process_group``; a
:class:`~tinygrad_sgd.nn.parallel.DistributedDataParallel` model; a ``DistributedSampler``)
runs here unchanged as a single worker, with torch's numbers.

torch's errors are kept: a collective before ``init_process_group`` (ValueError), the
``env://`` rendezvous's missing variables, a second initialisation, backends this CPU build of
torch lacks (NCCL, MPI), ranks out of range, bitwise reductions of floats. A world of more than
one process is refused (NotImplementedError): it would need the other processes.

Here: the world (initialising it, ranks, groups, the names ``ReduceOp``, ``Backend``); the
collectives are in :mod:`.collectives`.
"""
import enum
import os
from datetime import timedelta

__all__ = ["is_available", "is_initialized", "is_gloo_available", "is_nccl_available",
           "is_mpi_available", "is_ucc_available", "is_torchelastic_launched",
           "init_process_group", "destroy_process_group", "get_rank", "get_world_size",
           "get_backend", "new_group", "get_process_group_ranks", "get_global_rank",
           "get_group_rank", "ReduceOp", "Backend", "ProcessGroup", "Work", "group",
           "GroupMember"]

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def is_available() -> bool:
    """True: the package is here (for a world of one process)."""
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def is_ucc_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    """Whether ``torchrun`` started this process (it sets ``TORCHELASTIC_RUN_ID``)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


class ReduceOp:
    """The reductions of :func:`all_reduce`, as torch's ``ReduceOp.SUM`` etc. (members of
    ``ReduceOp.RedOpType``)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8


for _op in ReduceOp.RedOpType:
    setattr(ReduceOp, _op.name, _op)


class Backend(str):
    """A backend's name, lower-cased (``Backend("GLOO") == "gloo"``)."""
    UNDEFINED, GLOO, NCCL, UCC, MPI = "undefined", "gloo", "nccl", "ucc", "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got "
                             f"{type(name)}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """A group of ranks (here always rank 0 alone) and its backend's name."""

    def __init__(self, backend):
        self._backend = backend

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def name(self) -> str:
        return self._backend


class Work:
    """What an ``async_op=True`` collective returns: already done (one rank waits for no one)."""

    def __init__(self, tensors):
        self._tensors = tensors

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True

    def exception(self):
        return None

    def result(self):
        return list(self._tensors)

    def synchronize(self) -> None:
        return None


class GroupMember:
    """torch's ``GroupMember.WORLD`` (the default group once initialised, else None) and
    ``NON_GROUP_MEMBER``."""
    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    """torch's ``dist.group.WORLD``: the default group (None before ``init_process_group``)."""
    WORLD = None


_GROUP = group        # (the functions' ``group`` argument hides the class's name in them)


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def _env(name, method="env"):
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using {method}:// rendezvous: "
                         f"environment variable {name} expected, but not set")
    return value


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Start the default process group, as torch: the rank and world size from the arguments,
    or from the ``env://`` rendezvous's ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
    ``MASTER_PORT`` (each required, in that order, with torch's error), or a ``store`` with
    both given. The world must be one process: rank 0 of 1."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend.UNDEFINED if backend is None else Backend(backend)
    if name == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name == Backend.MPI:
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included "
                           "if you build PyTorch from source on a host that has MPI installed.")
    if name not in (Backend.UNDEFINED, Backend.GLOO):
        raise AssertionError(f"Unknown backend type {name}")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of typedatetime.timedelta, got "
                        f"{type(timeout)}")
    if store is not None:
        if world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    else:
        method = "env://" if init_method is None else init_method
        scheme = method.split("://")[0] if "://" in method else None
        if scheme == "env":
            rank = int(_env("RANK")) if rank == -1 else rank
            world_size = int(_env("WORLD_SIZE")) if world_size == -1 else world_size
            _env("MASTER_ADDR")
            _env("MASTER_PORT")
        elif scheme in ("tcp", "file"):
            if rank == -1:
                raise ValueError(f"Error initializing torch.distributed using {scheme}:// "
                                 f"rendezvous: rank parameter missing")
            if world_size == -1:
                raise ValueError(f"Error initializing torch.distributed using {scheme}:// "
                                 f"rendezvous: world size parameter missing")
        else:
            raise RuntimeError(f"No rendezvous handler for {scheme}://")
    if world_size != 1:
        raise NotImplementedError(f"init_process_group: a world of {world_size} processes is "
                                  f"not provided by tinygrad_sgd, which runs one process "
                                  f"(world_size=1, rank=0)")
    if rank != 0:
        raise RuntimeError(f"[enforce fail at gloo/context.cc:23] rank < size. {rank} vs 1")
    GroupMember.WORLD = _GROUP.WORLD = ProcessGroup(name)


def _world(group_=None):
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD if group_ is None else group_


def destroy_process_group(group=None) -> None:
    """End the default process group (or forget a group made by :func:`new_group`)."""
    if GroupMember.WORLD is None:
        raise AssertionError("Process group cannot be None")
    if group is None or group is GroupMember.WORLD:
        GroupMember.WORLD = _GROUP.WORLD = None


def get_rank(group=None) -> int:
    _world(group)
    return 0


def get_world_size(group=None) -> int:
    _world(group)
    return 1


def get_backend(group=None) -> str:
    return _world(group).name()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A group of some of the world's ranks: here ``[0]`` (or every rank: None)."""
    world = _world()
    ranks = [0] if ranks is None or len(ranks) == 0 else sorted(ranks)
    if len(ranks) > 1:
        raise ValueError("the new group's world size should be less or equal to the world size "
                         "set by init_process_group")
    if ranks != [0]:
        raise ValueError(f"Rank {ranks[0]} is out of range. Valid ranks are 0 to 0 "
                         f"(world_size=1)")
    return ProcessGroup(world.name() if backend is None else Backend(backend))


def get_process_group_ranks(group) -> list:
    _world(group)
    return [0]


def get_global_rank(group, group_rank) -> int:
    _world(group)
    if group_rank != 0:
        raise ValueError(f"Group {group} does not contain rank {group_rank}")
    return 0


def get_group_rank(group, global_rank) -> int:
    _world(group)
    if global_rank != 0:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return 0


from . import collectives as _collectives  # noqa: E402  (all_reduce, broadcast, ...)
from .collectives import *  # noqa: E402,F401,F403

__all__ += _collectives.__all__
