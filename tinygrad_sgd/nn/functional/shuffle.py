"""Rearranging channels and pixels: pixel_shuffle, pixel_unshuffle, channel_shuffle (torch's
signatures). Each is a reshape, a permute and a reshape — views and a copy, so the gradient is
the inverse rearrangement (and second order is free). torch's result is always new memory:
where the rearrangement needs no copy here (a factor or ``groups`` of 1, one-pixel planes) the
reshape is a view of the input, so it is copied (:func:`_apart`): a write into one would
silently change the other."""
import numpy as np

from ...autograd.torch_names import named
from ._checks import check_tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


def _check_factor(input, factor, op, what):
    check_tensor(input, op)
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {factor}")
    return int(factor)


def _apart(out, input):
    """``out``, or a copy of it where it is a view of ``input``'s memory (torch's is not)."""
    return out.clone() if np.may_share_memory(out.array, input.array) else out


def pixel_shuffle(input, upscale_factor):
    """``(*, C·r², H, W)`` → ``(*, C, H·r, W·r)``: each group of r² channels becomes an r×r
    block of pixels (out[c, h·r + i, w·r + j] = in[c·r² + i·r + j, h, w])."""
    r = _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *batch, C, H, W = input.shape
    if C % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{C} is not divisible by {r * r}")
    b = len(batch)
    x = input.reshape(*batch, C // (r * r), r, r, H, W)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)       # (*, c, H, r, W, r)
    return named(_apart(x.reshape(*batch, C // (r * r), H * r, W * r), input),
                 "PixelShuffleBackward0", input)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H·r, W·r)`` → ``(*, C·r², H, W)``."""
    r = _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, C, H, W = input.shape
    for what, n, i in (("height", H, -2), ("width", W, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({i})={n} is not divisible "
                               f"by {r}")
    b = len(batch)
    x = input.reshape(*batch, C, H // r, r, W // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)       # (*, C, r, r, h, w)
    return named(_apart(x.reshape(*batch, C * r * r, H // r, W // r), input),
                 "PixelUnshuffleBackward0", input)


def channel_shuffle(input, groups):
    """``(N, C, *)``: view the channels as (groups, C/groups), transpose to (C/groups, groups)
    and flatten back (ShuffleNet's channel shuffle)."""
    check_tensor(input, "channel_shuffle")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    N, C, *rest = input.shape
    if C % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {C} channels "
                           f"and {g} groups.")
    out = input.reshape(N, g, C // g, *rest).transpose(1, 2).reshape(input.shape)
    return named(_apart(out, input), "ChannelShuffleBackward0", input)
