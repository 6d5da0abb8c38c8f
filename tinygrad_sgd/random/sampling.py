"""Integer draws and orders, as torch makes them: ``randint`` and ``random_``, ``randperm``,
``multinomial``, and the epoch orders of ``RandomSampler`` and ``DataLoader(shuffle=True)``.

All return NumPy arrays, bit-exact with torch (``multinomial`` without replacement orders
zero-probability ties its own way; see the package notes). Invalid arguments raise torch's
exception with torch's message before anything is drawn.
"""
import math
import warnings

import numpy as np

from ..errors import warn_level
from ..dtypes import default_float
from .distributions import exponential
from .generator import Generator, _U64, _gen, _shape, _uniform01_f64, torch_dtype_name

__all__ = ["randint", "random_fill", "randperm", "multinomial", "draw_seed", "skip_randperm",
           "random_sampler_order", "dataloader_order"]

# the C++ names torch's range messages use
_C_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "float16": "c10::Half",
            "float32": "float", "float64": "double"}


# ---------------------------------------------------------------------------------------------
# randint and random_
# ---------------------------------------------------------------------------------------------
def _update_from_to(low: int, high: int, dt: np.dtype) -> tuple:
    """torch's ``update_from``/``update_to``: for a float dtype, move ``low``/``high - 1`` in
    when rounding them to the dtype would step outside [low, high)."""
    digits = np.finfo(dt).nmant + 1

    def as_float_int(v):          # (a value the dtype cannot hold is left to the range check)
        with np.errstate(over="ignore"):
            f = dt.type(v)
        return int(f) if np.isfinite(f) else v

    low_plus_1 = as_float_int(low + 1)
    if low_plus_1 < low:
        low = low_plus_1 + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    high_minus_1 = as_float_int(high - 1)
    if high_minus_1 >= high:
        high = high_minus_1 - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                           f"casted to dtype, but got from={low} >= to={high}")
    return low, high


def _check_in_range(value: int, name: str, dt: np.dtype) -> None:
    """torch's ``check_from_to_in_range`` for one end: an error for an integer dtype, a
    warning for a float dtype beyond the integers it holds exactly."""
    if dt.kind == "f":
        if not float(np.finfo(dt).min) <= value <= float(np.finfo(dt).max):
            raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[dt.name]}")
        digits = np.finfo(dt).nmant + 1
        if not -(1 << digits) <= value <= (1 << digits):
            warnings.warn(f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to "
                          f"precision limitations {_C_NAMES[dt.name]} can support discrete "
                          f"uniform distribution only within this range. This warning will "
                          f"become an error in version 1.7 release, please fix the code in "
                          f"advance", stacklevel=warn_level(4))
        return
    lo, hi = (0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
    if not lo <= value <= hi:
        raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[dt.name]}")


def _from_to(gen: Generator, n: int, low: int, span: int) -> np.ndarray:
    """torch's ``random_from_to`` kernel: ``random() % span + low`` (``random64()`` from a
    span of 2**28 on), as int64 values (wrapping like C++ uint64 arithmetic)."""
    raw = gen.random64(n) if span >= (1 << 28) else gen.random(n)
    with np.errstate(over="ignore"):
        values = (raw % np.uint64(span)) + np.uint64(low & _U64)
    return values.view(np.int64)


def randint(low, high, shape, dtype=np.int64, generator=None) -> np.ndarray:
    """``torch.randint(low, high, shape, dtype=dtype)`` (= ``torch.empty(shape, dtype=dtype)
    .random_(low, high)``); bit-exact.

    torch: ``range = high - low``; each element is ``random() % range + low``, or
    ``random64() % range + low`` when ``range >= 2**28``. For a float dtype torch first pulls
    ``low``/``high`` in where the dtype cannot hold them (``update_from``/``update_to``).
    """
    low, high = int(low), int(high)
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    dt = np.dtype(dtype)
    if dt.kind == "f":
        low, high = _update_from_to(low, high, dt)
    _check_in_range(low, "from", dt)
    _check_in_range(high - 1, "to - 1", dt)
    shape = _shape(shape)
    values = _from_to(_gen(generator), math.prod(shape), low, high - low)
    return values.astype(dtype).reshape(shape)


def _full_range_modulus(dt: np.dtype) -> tuple:
    """(use random64, modulus) of ``random_()`` without bounds, per dtype (torch's
    ``uniform_int``): floats cover the integers they hold exactly, 0..2**digits; integers
    0..max; bool one bit."""
    if dt.kind == "f":
        digits = np.finfo(dt).nmant + 1
        return dt == np.float64, (1 << digits) + 1
    if dt.kind == "b":
        return False, 2
    return dt == np.int64, int(np.iinfo(dt).max) + 1


def random_fill(shape, dtype=None, low=None, high=None, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype=dtype).random_(low, high)``; bit-exact.

    * no bounds (``random_()``): integers from 0 to the dtype's maximum — for a float dtype,
      up to ``2**digits`` (2**24 for float32), the range where it holds every integer;
    * ``high`` (``random_(high)`` or ``random_(low, high)``): :func:`randint`'s ``[low, high)``;
    * ``low`` alone (``random_(low, None)``): ``[low, max]`` as above; ``low = -2**63`` takes
      all 64 bits (int64 and float dtypes only, as torch).

    ``dtype`` None: the default float dtype.
    """
    dt = np.dtype(default_float() if dtype is None else dtype)
    shape = _shape(shape)
    gen = _gen(generator)
    n = math.prod(shape)
    if high is not None:
        return randint(0 if low is None else low, high, shape, dt, gen)
    if low is None:
        wide, modulus = _full_range_modulus(dt)
        raw = gen.random64(n) if wide else gen.random(n)
        return (raw % np.uint64(modulus)).astype(dt).reshape(shape)
    low = int(low)
    if low == -(1 << 63):
        if dt.kind in "iu" and dt != np.int64:
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                               "double, float and bfloat16")
        if dt.name not in ("int64", "float32", "float64"):
            raise NotImplementedError(f"\"random_full_64_bits_range_kernel_cpu\" not "
                                      f"implemented for '{torch_dtype_name(dt)}'")
        return gen.random64(n).view(np.int64).astype(dt).reshape(shape)
    if dt.kind == "f":
        to_inc = min(1 << (np.finfo(dt).nmant + 1), (1 << 63) - 1)
        low, _ = _update_from_to(low, to_inc + 1, dt)
    else:
        to_inc = 1 if dt.kind == "b" else int(np.iinfo(dt).max)
    _check_in_range(low, "from", dt)
    return _from_to(gen, n, low, to_inc - low + 1).astype(dt).reshape(shape)


# ---------------------------------------------------------------------------------------------
# randperm
# ---------------------------------------------------------------------------------------------
def _follow(ptr: np.ndarray) -> np.ndarray:
    """Roots of a forest given as parent pointers (roots point to themselves)."""
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            return ptr
        ptr = nxt


def _last_in_group(keys: np.ndarray, size: int):
    """For each key value: the largest index i with keys[i] == value (-1 if none); and for
    each i, the largest i' < i with keys[i'] == keys[i] (-1 if none)."""
    m = keys.size
    combined = np.sort(keys * m + np.arange(m, dtype=np.int64))   # by key, then by index
    sorted_keys, order = np.divmod(combined, m) if m else (keys, keys)
    same_as_prev = np.zeros(order.size, dtype=bool)
    same_as_prev[1:] = sorted_keys[1:] == sorted_keys[:-1]
    prev_in_group = np.full(order.size, -1, dtype=np.int64)
    prev_in_group[order[1:][same_as_prev[1:]]] = order[:-1][same_as_prev[1:]]
    last = np.full(size, -1, dtype=np.int64)
    is_last = np.ones(order.size, dtype=bool)
    is_last[:-1] = ~same_as_prev[1:]
    last[sorted_keys[is_last]] = order[is_last]
    return last, prev_in_group


def _shuffle_swaps(z: np.ndarray, n: int) -> np.ndarray:
    """The result of ``for i in range(n - 1): swap(a[i], a[i + z[i]])`` on ``a = arange(n)``.

    Position i is final after step i, and holds what sat at j = i + z[i] just before: the
    value the last earlier step aimed at j carried there — the value that step's own position
    held just before it — or j itself. Those "held just before" values follow parent links
    from the earlier step that aimed at a position, and are found by pointer jumping.
    """
    steps = np.arange(n - 1, dtype=np.int64)
    target = steps + z.astype(np.int64)
    # before step q, position q holds W[q]: the value brought by the last step k < q aimed at q
    last_before = np.full(n, -1, dtype=np.int64)
    off_diag = target != steps
    last_aim, prev_same = _last_in_group(target[off_diag], n)
    hit = last_aim >= 0
    last_before[hit] = steps[off_diag][last_aim[hit]]
    parent = np.where(last_before >= 0, last_before, np.arange(n))
    held = _follow(parent)                           # W[q] = root of q's chain
    # step i takes the value at target[i]: brought there by the previous step aimed at it
    _, prev_aim = _last_in_group(target, n)
    out = np.empty(n, dtype=np.int64)
    out[:n - 1] = np.where(prev_aim >= 0, held[np.maximum(prev_aim, 0)], target)
    out[n - 1] = held[n - 1]
    return out


def _inside_out(z: np.ndarray, n: int) -> np.ndarray:
    """The result of ``for i in range(n): a[i] = a[z[i]]; a[z[i]] = i`` (z[i] <= i)."""
    idx = np.arange(n, dtype=np.int64)
    z = z.astype(np.int64)
    last, prev = _last_in_group(z, n)
    # value moved into a[i] at step i: the last step before i aimed at z[i], else (recursively)
    # what step z[i] moved in; z[i] == i moves in i itself
    direct = np.where(prev >= 0, prev, np.where(z == idx, idx, -1))
    parent = np.where(direct >= 0, idx, z)
    root = _follow(parent)
    moved_in = direct[root]
    return np.where(last >= 0, last, moved_in)

_RANDPERM_SMALL = 0xFFFFFFFF // 20


def _check_randperm(n: int, dt: np.dtype) -> None:
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if dt.kind == "f":
        limit = (1 << (np.finfo(dt).nmant + 1)) + 1
        if n > limit:
            shown = {"float32": "2^24+1", "float64": "2^53+1"}.get(dt.name, str(limit))
            raise RuntimeError(f"n cannot be greater than {shown} for "
                               f"{torch_dtype_name(dt)} type.")
    elif n - 1 > int(np.iinfo(dt).max):
        c_name = "int" if dt == np.int32 else f"{dt.name}_t"
        raise RuntimeError(f"value cannot be converted to type {c_name} without overflow")


def randperm(n: int, dtype=np.int64, generator=None) -> np.ndarray:
    """``torch.randperm(n, dtype=dtype)``; bit-exact.

    torch: for ``n < 2**32 / 20``, start from ``arange(n)`` and for ``i = 0 .. n-2`` swap
    element i with element ``i + random() % (n - i)``; for larger n the "inside-out"
    shuffle ``a[i] = a[z]; a[z] = i`` with ``z = random64() % (i + 1)``. Both are replayed
    with array operations (sort + pointer jumping), not a loop over elements.
    """
    n = int(n)
    dt = np.dtype(dtype)
    _check_randperm(n, dt)
    gen = _gen(generator)
    if n < _RANDPERM_SMALL:
        if n <= 1:
            return np.arange(n, dtype=dt)
        z = gen.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        return _shuffle_swaps(z, n).astype(dt)
    z = gen.random64(n) % np.arange(1, n + 1, dtype=np.uint64)
    return _inside_out(z, n).astype(dt)


# ---------------------------------------------------------------------------------------------
# multinomial
# ---------------------------------------------------------------------------------------------
def multinomial(probs, num_samples: int, replacement: bool = False,
                generator=None, transposed: bool = False) -> np.ndarray:
    """``torch.multinomial(probs, num_samples, replacement)`` for 1-D or 2-D float ``probs``.

    * Without replacement, or with ``num_samples == 1``: ``q = exponential(probs.shape)``
      (torch's ``empty_like(probs).exponential_()``, which keeps probs' layout: with
      ``transposed`` — probs a transposed 2-D tensor — q is drawn column by column), then
      ``argmax`` (one sample) or the indices of the ``num_samples`` largest of ``probs / q``
      in decreasing order (torch's ``topk``: ties — the zero-probability categories, once the
      others are drawn — in the order its partial sort leaves them), computed in probs' dtype
      (float16: float32 rounded to float16).
    * With replacement and several samples: per row, the cumulative sum divided by its total
      (the last entry set to 1) in probs' dtype — in float32 for float16 probs — then one
      float64 uniform per sample, row after row, and the first index whose cumulative value
      is >= the uniform.
    Returns int64 indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.
    """
    p = np.asarray(probs)
    if p.dtype not in (np.float16, np.float32, np.float64):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, "
                           f"got: {torch_dtype_name(p.dtype)}")
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    k = int(num_samples)
    if k <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = p.shape[-1]
    if not replacement and k > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, n_cat)
    if np.any(rows.sum(axis=1) == 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _gen(generator)
    if not replacement or k == 1:
        q = exponential(rows.shape[::-1], 1.0, p.dtype, gen).T if transposed and p.ndim == 2 \
            else exponential(rows.shape, 1.0, p.dtype, gen)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = rows / q
        if k == 1:
            idx = np.argmax(score, axis=1)[:, None]
        else:
            from ..ops.sort import TopKIndices     # (torch's topk, ties broken as its own)
            idx = TopKIndices.pick(score, k, True, True)
    else:
        acc = np.float32 if p.dtype == np.float16 else p.dtype
        cum = np.cumsum(rows, axis=1, dtype=acc)               # sequential
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _uniform01_f64(gen, rows.shape[0] * k).reshape(rows.shape[0], k)
        idx = np.stack([np.searchsorted(c.astype(np.float64), ur, side="left")
                        for c, ur in zip(cum, u)])             # one search per row
    idx = idx.astype(np.int64)
    return idx.reshape(k) if p.ndim == 1 else idx


# ---------------------------------------------------------------------------------------------
# data order
# ---------------------------------------------------------------------------------------------
def draw_seed(generator=None) -> int:
    """``torch.empty((), dtype=torch.int64).random_(generator=generator).item()``:
    ``random64() % 2**63``, how ``RandomSampler`` and the DataLoader's iterator take a seed."""
    return int(_gen(generator).random64(1)[0] & np.uint64((1 << 63) - 1))


def skip_randperm(n: int, generator: Generator) -> None:
    """Advance ``generator`` past one ``randperm(n)`` without building it."""
    if n >= _RANDPERM_SMALL:
        generator.random64(n)
    elif n > 1:
        generator.random(n - 1)


def random_sampler_order(n: int, generator=None) -> np.ndarray:
    """One full epoch of ``torch.utils.data.RandomSampler(range(n), generator=generator)``.

    With ``generator=None`` torch draws a seed (:func:`draw_seed`) from the default
    generator, seeds a fresh generator with it and takes ``randperm(n)`` from that; with a
    generator it takes ``randperm(n)`` from it directly. After the last index the sampler draws
    one more ``randperm(n)`` (for the ``num_samples % n`` remainder, here empty) before it
    stops; an explicit generator is advanced past it too, as a fully iterated epoch does.
    Bit-exact.
    """
    if generator is None:
        return randperm(n, generator=Generator(draw_seed()))
    order = randperm(n, generator=generator)
    skip_randperm(n, generator)
    return order


def dataloader_order(n: int, generator=None) -> np.ndarray:
    """The sample order of one epoch of ``DataLoader(dataset_of_n, shuffle=True,
    generator=generator)`` (``num_workers=0``). Bit-exact.

    Starting an epoch (``iter(loader)``) first draws the iterator's ``_base_seed`` —
    :func:`draw_seed` from ``generator`` or the default one — and the sampler then runs
    :func:`random_sampler_order`.
    """
    draw_seed(generator)
    return random_sampler_order(n, generator)
