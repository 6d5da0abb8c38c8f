"""Sampling an image at given points: affine_grid (the points of an affine map) and grid_sample
(bilinear, nearest or bicubic reads at those points, for 4-D and, bilinear/nearest, 5-D input).

Both are composed of Tensor operations, as torch's reference decomposition: the point's
coordinates are unnormalised and padded (clip / reflect, with torch's gradients: 0 where a
coordinate was clipped, −1 where it was reflected) as Tensors, and the image is read at the
integer corners by indexing (whose backward adds into the read places), weighted by products of
the fractional parts. So the gradients w.r.t. the image and the grid, and second order (which
torch does not offer for grid_sample), come from those ops.
"""
import itertools
import math
import warnings

import numpy as np

from ...errors import warn_level
from ...creation import linspace
from ...functions import where
from ...random.exact import fma32, fma64
from ...tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def affine_grid(theta, size, align_corners=None):
    """The sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) of a batch of affine maps
    ``theta`` ``(N, 2, 3)`` (or ``(N, 3, 4)``) for an output of ``size`` ``(N, C, H, W)`` (or
    ``(N, C, D, H, W)``): grid = [x, y, (z,) 1]·θᵀ, with x running over W from −1 to 1 (the
    pixel centres, (2i + 1)/W − 1, unless ``align_corners``, then the corners)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=warn_level(2))
        align_corners = False
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"torch.{theta.dtype.name}")
    given, size = size, [int(s) for s in size]         # messages show the size as given
    if len(size) in (4, 5):
        k = len(size) - 2
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1):
            raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} "
                             f"for size {given}. Got {theta.shape!r}.")  # torch.Size([..])
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {given}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=warn_level(2))
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {k + 1}] but got: [{theta.shape[0]}, {k + 1}].")
    axes = [_linspace(n, align_corners, theta.dtype) for n in spatial]   # D, H, W order
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack(list(mesh[::-1]) + [np.ones(spatial, theta.dtype)], -1)   # x (W), …, 1
    # [x, y, (z,) 1]·θᵀ term by term, summed left to right: rounded as torch's bmm rounds it
    points = Tensor._of(base.reshape(-1, k + 1))
    grid = points[:, :1] * theta[:, None, :, 0]                          # (N, points, k)
    for i in range(1, k + 1):
        grid = grid + points[:, i:i + 1] * theta[:, None, :, i]
    return grid.reshape(size[0], *spatial, k)


def _linspace(n, align_corners, dtype):
    """torch's linspace_from_neg_one: 0 for one step; else −1 … 1, scaled by (n − 1)/n to the
    pixel centres unless ``align_corners`` — all in ``dtype``, rounded as torch (torch's
    linspace, then ·(n − 1), then /n), so that a point on a pixel centre is exactly there."""
    if n <= 1:
        return np.zeros(n, dtype)
    r = linspace(-1.0, 1.0, n, dtype=dtype).array
    return r if align_corners else r * dtype.type(n - 1) / dtype.type(n)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """output[n, c, p] = input[n, c] read at the point grid[n, p] (x, y(, z) in [−1, 1]: −1 the
    left/top edge — of the corner pixels' centres with ``align_corners``, else of the image).
    ``mode``: "bilinear" (trilinear for 5-D), "nearest" (halves to even; no gradient w.r.t.
    the grid) or "bicubic" (4-D; A = −0.75, each of the 4×4 taps padded on its own, as
    torch). ``padding_mode`` for points outside: "zeros" (read 0), "border" (clamp the point)
    or "reflection" (mirror it at the border)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=warn_level(2))
        align_corners = False
    _check(input, grid, mode)
    if input.dtype == np.float16:   # in float32, rounded once: a point's float16 coordinate
        return grid_sample(input.float(), grid.float(), mode, padding_mode,   # could land in
                           align_corners).half()      # the next cell (reflection's mirror)
    k = input.ndim - 2
    sizes = input.shape[2:]
    # coordinate j (in the input's dim order D, H, W) is grid[..., k − 1 − j], in pixels
    coords = [_unnormalize(grid[..., k - 1 - j], sizes[j], align_corners) for j in range(k)]
    image = input.permute(0, *range(2, input.ndim), 1)                   # (N, *spatial, C)
    batch = np.arange(input.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2))
    if mode == "bicubic":
        out = _bicubic(image, batch, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_pad(c, n, padding_mode, align_corners) for c, n in zip(coords, sizes)]
        if mode == "nearest":
            idx = [np.rint(c.array) for c in coords]
            never = np.zeros(coords[0].shape, bool)      # a zero gradient for the grid, as torch
            link = sum(where(Tensor._of(never), c, Tensor._of(np.zeros((), c.dtype)))
                       for c in coords)
            out = _read(image, batch, idx, sizes, link + 1)
        else:
            low = [np.floor(c.array) for c in coords]
            frac = [c - Tensor._of(f) for c, f in zip(coords, low)]         # in [0, 1)
            out, terms = 0, []
            for corner in itertools.product((0, 1), repeat=k):
                w = math.prod(f if b else 1 - f for f, b in zip(frac, corner))
                idx = [f + b for f, b in zip(low, corner)]
                out = out + _read(image, batch, idx, sizes, w)
                terms.append((idx, w.array))
            if k == 2:
                out = _as_fused(out, _fused_bilinear(image, batch, terms, sizes))
    return out.permute(0, k + 1, *range(1, k + 1))                       # (N, C, *out)


def _check(input, grid, mode):
    """torch's grid_sampler checks, in its words."""
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same "
                           f"number of dimensions, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"\"grid_sampler_{input.ndim - 2}d_cpu\" not implemented "
                                  f"for '{input.dtype.name}'")
    if grid.dtype != input.dtype:
        names = {"float32": "Float", "float64": "Double", "float16": "Half"}
        raise RuntimeError(f"expected scalar type {names.get(input.dtype.name)} but found "
                           f"{names.get(grid.dtype.name)}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _unnormalize(c, size, align_corners):
    """[−1, 1] to pixels: (c + 1)/2·(size − 1) with ``align_corners``, else
    ((c + 1)·size − 1)/2 — rounded as torch's CPU kernels, which fuse (c + 1)·size/2 − 1/2 into one multiply-add
    (a point one rounding off lands on the other side of a pixel, and on the other side of a
    max-pool tie downstream)."""
    if align_corners:
        return (c + 1) * ((size - 1) / 2)
    plain = ((c + 1) * size - 1) / 2
    fma = fma32 if c.dtype == np.float32 else fma64
    return _as_fused(plain, fma((c + 1).array, size / 2, -0.5).astype(c.dtype))


def _as_fused(plain, fused):
    """``plain`` (a Tensor) with the value ``fused`` — the same formula rounded as torch's
    fused multiply-adds round it: the difference (a rounding, or 0 where either is not finite)
    is added as a constant, so the gradient is ``plain``'s."""
    a = plain.array
    with np.errstate(invalid="ignore"):
        fix = np.where(np.isfinite(a) & np.isfinite(fused), fused - a, 0).astype(a.dtype)
    return plain + Tensor._of(fix) if fix.any() else plain


def _fused_bilinear(image, batch, terms, sizes):
    """torch's 2-D bilinear sum as its CPU kernel rounds it: nw·v_nw, then + ne·v_ne, sw·v_sw,
    se·v_se each fused into a multiply-add; a corner outside reads 0. ``(N, *out, C)``."""
    a = image.array
    fma = fma32 if a.dtype == np.float32 else fma64
    out = None
    for idx, w in terms:
        inside = np.ones(idx[0].shape, bool)
        for i, n in zip(idx, sizes):
            inside &= (i >= 0) & (i <= n - 1)
        safe = [np.clip(np.nan_to_num(i), 0, n - 1).astype(np.int64)
                for i, n in zip(idx, sizes)]
        v = np.where(inside[..., None], a[(batch, *safe)], 0).astype(a.dtype)
        w = w[..., None]
        out = v * w if out is None else fma(v, w, out).astype(a.dtype)
    return out


def _pad(c, size, padding_mode, align_corners):
    """The coordinate after torch's compute_coordinates: clipped to [0, size − 1] ("border"),
    reflected at the borders then clipped ("reflection"), unchanged ("zeros")."""
    if padding_mode == "reflection":
        c = (_reflect(c, 0, 2 * (size - 1)) if align_corners
             else _reflect(c, -1, 2 * size - 1))
    if padding_mode != "zeros":
        a = c.array
        inside = (a > 0) & (a < size - 1)       # torch's gradient: 0 at and beyond the borders
        # a NaN point: torch's 2-D CPU kernel clips it to 0, its 3-D one to size − 1 (c is
        # (N, H_out, W_out) for 4-D input, (N, D_out, H_out, W_out) for 5-D)
        nan_to = 0 if c.ndim == 3 else size - 1
        clipped = np.where(np.isnan(a), nan_to, np.clip(a, 0, size - 1))
        c = where(Tensor._of(inside), c, Tensor._of(clipped.astype(a.dtype)))
    return c


def _reflect(c, twice_low, twice_high):
    """torch's reflect_coordinates: mirror c into [low, high] as often as needed."""
    if twice_low == twice_high:
        return where(Tensor._of(np.zeros(c.shape, bool)), c, Tensor._of(np.zeros((), c.dtype)))
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = c - low
    a = where(Tensor._of(d.array < 0), -d, d)       # |c − low|, gradient ±1 (+1 at 0, as torch)
    extra = a.fmod(span)
    with np.errstate(invalid="ignore"):         # an infinite point: NaN, as torch's
        even = np.floor(a.array / span) % 2 == 0
    return where(Tensor._of(even), extra + low, (span - extra) + low)


def _read(image, batch, idx, sizes, weight):
    """weight · image[n, i₀, i₁, (i₂,) :] at integer float coordinates ``idx``, 0 where a
    coordinate is outside; the result is ``(N, *out, C)``. A NaN weight (from a NaN or infinite
    point) gives NaN there as torch's 2-D CPU kernel (which multiplies by a 0/1 mask), 0 for
    5-D input as its 3-D kernel (which skips the read)."""
    inside = np.ones(idx[0].shape, bool)
    for i, n in zip(idx, sizes):
        inside &= (i >= 0) & (i <= n - 1)
    safe = [np.clip(np.nan_to_num(i), 0, n - 1).astype(np.int64) for i, n in zip(idx, sizes)]
    values = image[(batch, *safe)]
    if len(idx) == 3:
        weight = where(Tensor._of(inside), weight, Tensor._of(np.zeros((), image.dtype)))
    return values * (weight * Tensor._of(inside.astype(image.dtype))).unsqueeze(-1)


def _cubic_weights(t):
    """torch's get_cubic_upsample_coefficients (A = −0.75) of the fraction t, for the taps at
    −1, 0, 1, 2."""
    A = -0.75

    def near(x):                                 # |x| ≤ 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):                                  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _bicubic(image, batch, coords, sizes, padding_mode, align_corners):
    """Σ over the 4×4 taps around the point of wy·wx·value, each tap's integer coordinate
    padded on its own (torch's get_value_bounded); the point itself is not clipped."""
    low = [np.floor(c.array) for c in coords]
    weights = [_cubic_weights(c - Tensor._of(f)) for c, f in zip(coords, low)]
    taps = [[_pad_integer(f + o, n, padding_mode, align_corners) for o in (-1, 0, 1, 2)]
            for f, n in zip(low, sizes)]
    out = 0
    for i in range(4):
        for j in range(4):
            out = out + _read(image, batch, [taps[0][i], taps[1][j]], sizes,
                              weights[0][i] * weights[1][j])
    return out


def _pad_integer(i, size, padding_mode, align_corners):
    """A tap's coordinate after padding (NumPy: integer taps carry no gradient), truncated
    toward 0 as torch's cast."""
    if padding_mode == "zeros":
        return i
    c = _pad(Tensor._of(i), size, padding_mode, align_corners).array
    return np.trunc(c)
