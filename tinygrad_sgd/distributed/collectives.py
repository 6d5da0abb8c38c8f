"""The collectives of :mod:`tinygrad_sgd.distributed` over its world of one process: each
is what torch's gives on one rank — a reduction over one rank is the tensor itself, a gather a
list of one, a broadcast from rank 0 changes nothing — with torch's checks and errors (a
collective before ``init_process_group``, a root rank that is not 0, bitwise reductions of
floats, an output list or tensor of the wrong size). Results are written without autograd, as
torch's collectives write them."""
import pickle
import warnings

import numpy as np

from ..dtypes import _SCALAR_TYPE_NAMES
from ..errors import warn_level
from ..tensor import Tensor
from . import ReduceOp, Work, _world

__all__ = ["all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "all_gather_single", "gather", "scatter", "reduce_scatter", "reduce_scatter_tensor",
           "reduce_scatter_single", "all_to_all", "all_to_all_single", "barrier",
           "monitored_barrier", "all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list", "send", "recv", "isend", "irecv"]


def _tensor(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(t)} instead.")
    return t


def _root(rank, group_rank, op):
    """The source or destination rank of a rooted collective (it must be 0)."""
    if rank is None and group_rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    root = rank if rank is not None else group_rank
    if root != 0:
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid root rank: {root}")


def _done(async_op, tensors):
    return Work(tensors) if async_op else None


def _write(dst, src, op):
    """``dst``'s numbers become ``src``'s (a collective's result; no autograd, as torch's)."""
    if dst.array.shape != src.array.shape:
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid tensor size at index 0 (expected "
                           f"({', '.join(map(str, src.array.shape))}), got "
                           f"({', '.join(map(str, dst.array.shape))}))")
    if dst.array.dtype != src.array.dtype:
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid tensor type at index 0 (expected "
                           f"{src.dtype}, got {dst.dtype})")
    np.copyto(dst.array, src.array)
    dst._bump_version_unchecked()


def _one_list(tensors, op, what="output"):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != 1:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid {what} tensor list at index 0 "
                           f"(expected length 1, got {got})")
    return _tensor(tensors[0])


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every rank's ``tensor`` becomes the reduction over the ranks — over one rank, itself:
    SUM, AVG (÷ 1), PRODUCT, MIN, MAX of floats or integers, BAND/BOR/BXOR of integers."""
    _tensor(tensor)
    _world(group)
    op = ReduceOp.RedOpType(op)
    kind = tensor.array.dtype.kind
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "biu":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op == ReduceOp.AVG and kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_SCALAR_TYPE_NAMES[tensor.array.dtype.name]}")
    if op == ReduceOp.PREMUL_SUM:
        raise TypeError("all_reduce: ReduceOp.PREMUL_SUM needs a scale "
                        "(torch._make_nccl_premul_sum), which is NCCL's only")
    return _done(async_op, [tensor])



def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    _tensor(tensor)
    _world(group)
    _root(dst, group_dst, "reduce")
    return _done(async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    _tensor(tensor)
    _world(group)
    _root(src, group_src, "broadcast")
    return _done(async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` = rank r's ``tensor``: a list of one, rank 0's."""
    _tensor(tensor)
    _world(group)
    _write(_one_list(tensor_list, "allgather"), tensor, "allgather")
    return _done(async_op, list(tensor_list))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """torch's old name of :func:`all_gather_single` (a FutureWarning)."""
    _deprecated("all_gather_into_tensor", "all_gather_single")
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def _deprecated(old, new):
    warnings.warn(f"`torch.distributed.{old}` is deprecated. Please use "
                  f"`torch.distributed.{new}` instead.", FutureWarning, stacklevel=warn_level(3))


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` gathered along dim 0 into ``output_tensor``: over one
    rank, a copy of it."""
    _tensor(output_tensor, "output_tensor")
    _tensor(input_tensor, "input_tensor")
    _world(group)
    _write(output_tensor, input_tensor, "allgather")
    return _done(async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    _tensor(tensor)
    _world(group)
    _root(0 if dst is None and group_dst is None else dst, group_dst, "gather")
    _write(_one_list(gather_list, "gather"), tensor, "gather")
    return _done(async_op, list(gather_list))


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    _tensor(tensor)
    _world(group)
    _root(0 if src is None and group_src is None else src, group_src, "scatter")
    _write(tensor, _one_list(scatter_list, "scatter", "input"), "scatter")
    return _done(async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    _tensor(output, "output")
    _world(group)
    _write(output, _one_list(input_list, "reduce_scatter", "input"), "reduce_scatter")
    return _done(async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """torch's old name of :func:`reduce_scatter_single` (a FutureWarning)."""
    _deprecated("reduce_scatter_tensor", "reduce_scatter_single")
    return reduce_scatter_single(output, input, op, group, async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """The ranks' ``input`` reduced, its r-th part to rank r: over one rank, a copy of it."""
    _tensor(output, "output")
    _tensor(input, "input")
    _world(group)
    _write(output, input, "reduce_scatter")
    return _done(async_op, [output])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    _world(group)
    _write(_one_list(output_tensor_list, "alltoall"),
           _one_list(input_tensor_list, "alltoall", "input"), "alltoall")
    return _done(async_op, list(output_tensor_list))


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    _tensor(output, "output")
    _tensor(input, "input")
    _world(group)
    _write(output, input, "alltoall")
    return _done(async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    _world(group)
    return _done(async_op, [])


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    _world(group)


def _copied(obj):
    """An object as another rank receives it: pickled and unpickled (a copy)."""
    return pickle.loads(pickle.dumps(obj))


def all_gather_object(object_list, obj, group=None):
    _world(group)
    object_list[0] = _copied(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    _world(group)
    object_gather_list[0] = _copied(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """On the source rank (the only one) the list is left as it is."""
    _world(group)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    _world(group)
    scatter_object_output_list[0] = _copied(scatter_object_input_list[0])


def _peer(rank, what):
    _world()
    raise RuntimeError(f"{what} rank {rank}: this world has one process (rank 0); there is no "
                       f"other to exchange tensors with")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    _tensor(tensor)
    _world(group)
    if (dst if dst is not None else group_dst) == 0:
        raise ValueError("Invalid destination rank: destination rank should not be the same as "
                         "the rank of the current process.")
    _peer(dst if dst is not None else group_dst, "destination")


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    _tensor(tensor)
    _peer(dst if dst is not None else group_dst, "destination")


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    _tensor(tensor)
    _peer(src if src is not None else group_src, "source")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    _tensor(tensor)
    _peer(src if src is not None else group_src, "source")
