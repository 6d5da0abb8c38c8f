"""Work shared out as it goes: two threads claim the units of one job from a counter, one from
the front, the other from the back, until none are left.

A split fixed in advance (rows 0..k here, k..n there) is only as good as the guess of how long
each side takes, and in a training step that guess is off: the worker reads data the calling
core made a moment ago, from that core's cache, the two vCPUs of a virtual machine sit near or
far apart from one run to the next, and the side that also computes another gradient starts
late. Claiming units as they go, both sides finish within one unit of each other, however the
times come out.

    t = claim(counter)        # counter[0] += 1, atomically: the value before
    if t >= n: stop           # n units were handed out in all
    unit = mine               (front)    or    n - 1 - mine    (back);    mine += 1

Each side counts its own claims (``mine``), so the front's units are 0, 1, ... and the back's
n−1, n−2, ...; as every claim below n is one unit and there are n of them, the two never meet
on one unit and none is left out. Which side computes a unit changes nothing in its numbers:
a unit is computed the same way by either.
"""
from numba import types
from numba.extending import intrinsic

__all__ = ["claim"]


@intrinsic
def claim(typingctx, counter):
    """``counter[0] += 1`` as one atomic step (LLVM's ``atomicrmw add``, sequentially
    consistent) on an int64 array: the value before."""
    sig = types.int64(counter)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", array.data, context.get_constant(types.int64, 1),
                                  "seq_cst")
    return sig, codegen
