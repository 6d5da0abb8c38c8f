"""Random numbers that match PyTorch's CPU generator, draw for draw.

After ``manual_seed(s)`` here and ``torch.manual_seed(s)`` there, the same sequence of calls gives
the same numbers. Everything is NumPy (this module never imports torch) and vectorised: no Python
loop runs per element.

How torch makes its numbers (read from the source of torch 2.13 and checked against the
installed x86-64 build; the notes in each function say what it draws)
--------------------------------------------------------------------------------------------------
* **The engine** (``ATen/core/MT19937RNGEngine.h``) is the 32-bit Mersenne Twister MT19937 seeded
  by the reference ``init_genrand`` with the low 32 bits of the seed — the stream of NumPy's
  ``np.random.MT19937``, which this module drives through its public ``state``. ``random()`` is
  one 32-bit output; ``random64()`` joins two, the first as the high half.
* **Uniform floats**: float32 takes the low 24 bits of one ``random()`` times 2^-24; float64
  the low 53 bits of one ``random64()`` times 2^-53. ``uniform_(a, b)`` then computes
  ``fma(x, b - a, a)`` (the compiler fuses the multiply-add) and maps ``b`` to ``a``.
* **Normals**: a tensor of >= 16 elements is filled with uniforms and turned into normals 16 at
  a time by Box–Muller (the first 8 of a block give the radii, the last 8 the angles); when the
  size is not a multiple of 16 the last 16 elements are drawn again and transformed again.
  float32 uses torch's AVX2 polynomials for log and sin/cos (``avx_mathfun.h``) as compiled —
  with fused multiply-adds — and this module replays them operation for operation. Smaller
  tensors draw one pair of float64 uniforms per two normals, the second normal cached in the
  generator for the next call.
* **Integers**: ``randint`` is ``random() % range`` (``random64()`` when the range is >= 2^28)
  plus ``low``; ``randperm`` is a Fisher–Yates shuffle driven by ``random() % (n - i)`` (an
  "inside-out" shuffle on ``random64()`` from n = 2^32 / 20 on).
* **Bernoulli**: ``Tensor.bernoulli_(p)`` with a float p (and so dropout) compares one float64
  uniform per element with p. This build carries no MKL VSL stream (its symbols are absent from
  ``libtorch_cpu.so``, and the kernel's disassembly calls the MT19937 path directly), so there is
  no MCG31 path to reproduce. ``torch.bernoulli(p_tensor)`` uses float32 uniforms for a float32
  p and float64 uniforms for a float64 p.
* **Multinomial**: without replacement — or with replacement and one sample — torch draws
  ``q ~ Exp(1)`` of the probabilities' shape and takes ``argmax``/``topk`` of ``p / q``. With
  replacement and several samples it builds each row's cumulative distribution and
  binary-searches one float64 uniform per sample.

Exactness
---------
Bit-exact (``np.array_equal``) with torch 2.13 on x86-64 CPUs with AVX2 (torch runs the same
AVX2 kernels on AVX-512 CPUs): ``rand``, ``uniform``, ``randn``, ``normal``, ``randint``,
``randperm``, ``bernoulli``, ``dropout_mask``, ``exponential``, ``multinomial``,
``kaiming_uniform``, ``random_sampler_order``, ``dataloader_order``, the generator state
(``get_state`` returns the 5056 bytes of ``torch.get_rng_state()``), and ``trunc_normal`` when
``[a, b]`` holds more than 30% of the mass (the default ``a=-2, b=2`` does).
The exactness of float64 normals, of small (< 16 element) normals of either dtype, of
exponentials and so of multinomial without replacement rests on NumPy's float64 ``log``,
``log1p``, ``sin`` and ``cos`` giving the C library's results, as torch calls them. They do on
this AVX2 machine (checked on 200 000 values each); on AVX-512 CPUs NumPy uses its own
vectorised versions, which can be 1 ulp away, and so can these draws.

Not bit-exact:

* ``trunc_normal`` with a narrow window (``[a, b]`` holding <= 30% of the mass) uses torch's
  rejection sampler, whose accept test compares a ``log`` in the dtype — torch's vectorised
  (SLEEF) one there, a correctly rounded (float32) or C library (float64) one here. The draws
  are the same; a sample can differ only when an accept test lands within 1 ulp of its
  threshold (none did in the tests).
* ``multinomial`` without replacement orders tied values of ``p / q`` by index. Ties are the
  zero-probability categories, which are drawn only once the non-zero ones run out; torch's
  ``topk`` orders those by its ``std::nth_element``/``std::sort``, which is not replayed. The
  samples before them match.
* torch's DEFAULT CPU kernels — on x86 CPUs without AVX2, or under
  ``ATEN_CPU_CAPABILITY=default`` — make float32 normals with the C library's ``logf``/
  ``sinf``/``cosf`` instead of the AVX2 polynomials: other values (39% of 100 000 differ, by up
  to 3e-3 relative). Their uniforms and float64 normals agreed (100 000 of each checked).
  This module follows the AVX2 kernels, which torch also runs on AVX-512 machines (the wheel
  has no AVX-512 build of its distribution kernels). ARM builds are not covered.
"""
from __future__ import annotations

import math
import os
import warnings

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "rand", "randn", "uniform", "normal", "randint",
           "randperm", "bernoulli", "dropout_mask", "multinomial", "exponential",
           "trunc_normal", "kaiming_uniform", "random_sampler_order", "dataloader_order"]

# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
_MT_N = 624
TORCH_DEFAULT_SEED = 67280421310721     # the seed of a fresh ``torch.Generator()``
_STATE_SIZE = 5056                      # sizeof(CPUGeneratorImplState) in torch
_U64 = (1 << 64) - 1


def _init_genrand(seed32: int) -> np.ndarray:
    """The 624-word MT19937 state of the reference ``init_genrand(seed32)``."""
    key = np.empty(_MT_N, dtype=np.uint32)
    x = seed32 & 0xFFFFFFFF
    key[0] = x
    for i in range(1, _MT_N):  # each word depends on the one before: a fixed 623-step recurrence
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return key


def _as_seed(value) -> int:
    """A seed as torch stores it: an unsigned 64-bit integer (negative values wrap)."""
    seed_int = int(value)
    if not -(1 << 63) <= seed_int <= _U64:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64), got {seed_int}")
    return seed_int & _U64


class Generator:
    """A torch-compatible CPU random generator: MT19937 plus torch's cached normal sample.

    ``Generator()`` starts where ``torch.Generator()`` does (seed 67280421310721);
    ``Generator(seed)`` is ``torch.Generator().manual_seed(seed)``. Pass it as ``generator=`` to
    any draw function of this module.
    """

    def __init__(self, seed: int = TORCH_DEFAULT_SEED):
        self._bitgen = np.random.MT19937(0)
        self.manual_seed(seed)

    # ---------------------------------------------------------------- seeding and state
    def manual_seed(self, seed: int) -> Generator:
        """Reseed (the low 32 bits feed MT19937; all 64 are kept for ``initial_seed``)."""
        self._seed = _as_seed(seed)
        self._set_engine(_init_genrand(self._seed), pos=_MT_N, fresh=True)
        self._next_double_normal = None  # torch's cached second Box–Muller sample (float64)
        self._next_float_normal = None   # kept for the state bytes; no CPU kernel uses it
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        new_seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` (or ``seed``), as an unsigned 64-bit int."""
        return self._seed

    def _set_engine(self, key: np.ndarray, pos: int, fresh: bool) -> None:
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": np.asarray(key, dtype=np.uint32), "pos": int(pos)}}
        # torch reports next=0 (not 624) between seeding and the first draw
        self._fresh = fresh

    def get_state(self) -> np.ndarray:
        """The state as the 5056 bytes ``torch.get_rng_state()`` returns (``uint8`` array).

        The layout is torch's ``CPUGeneratorImplState``: seed, ``left``, ``seeded``, ``next``,
        the 624 state words (as uint64), the cached float64 normal, the cached float32 normal.
        """
        st = self._bitgen.state["state"]
        key = np.asarray(st["key"], dtype=np.uint64)
        pos = int(st["pos"])
        left = _MT_N + 1 - pos
        nxt = 0 if (self._fresh and pos == _MT_N) else pos
        buf = bytearray(_STATE_SIZE)
        buf[0:8] = self._seed.to_bytes(8, "little")
        buf[8:12] = left.to_bytes(4, "little")
        buf[12:16] = (1).to_bytes(4, "little")            # seeded
        buf[16:24] = nxt.to_bytes(8, "little")
        buf[24:24 + 8 * _MT_N] = key.astype("<u8").tobytes()
        off = 24 + 8 * _MT_N                                # normal_x, normal_y, normal_rho
        if self._next_double_normal is not None:
            buf[off + 8:off + 16] = np.float64(self._next_double_normal).astype("<f8").tobytes()
            buf[off + 24:off + 28] = (1).to_bytes(4, "little")
        if self._next_float_normal is not None:
            buf[off + 32:off + 36] = np.float32(self._next_float_normal).astype("<f4").tobytes()
            buf[off + 36] = 1
        return np.frombuffer(bytes(buf), dtype=np.uint8).copy()

    def set_state(self, state) -> Generator:
        """Restore a state from ``get_state`` (or from ``torch.get_rng_state().numpy()``)."""
        raw = np.asarray(state, dtype=np.uint8).reshape(-1)
        if raw.size != _STATE_SIZE:
            raise ValueError(f"set_state: expected a state of {_STATE_SIZE} bytes, "
                             f"got {raw.size}")
        buf = raw.tobytes()
        seed_value = int.from_bytes(buf[0:8], "little")
        left = int.from_bytes(buf[8:12], "little", signed=True)
        nxt = int.from_bytes(buf[16:24], "little")
        key = np.frombuffer(buf[24:24 + 8 * _MT_N], dtype="<u8").astype(np.uint32)
        off = 24 + 8 * _MT_N
        if not (0 < left <= _MT_N and nxt <= _MT_N):
            raise ValueError(f"set_state: invalid MT19937 state (left={left}, next={nxt})")
        if left == 1:          # the next draw regenerates the block, whatever `next` says
            pos, fresh = _MT_N, nxt == 0
        elif left + nxt == _MT_N + 1:
            pos, fresh = nxt, False
        else:
            raise ValueError(f"set_state: unsupported MT19937 position (left={left}, "
                             f"next={nxt}); torch's own states have left + next == 625")
        self._seed = seed_value
        self._set_engine(key, pos=pos, fresh=fresh)
        normal_valid = int.from_bytes(buf[off + 24:off + 28], "little") != 0
        self._next_double_normal = (float(np.frombuffer(buf[off + 8:off + 16], "<f8")[0])
                                    if normal_valid else None)
        self._next_float_normal = (float(np.frombuffer(buf[off + 32:off + 36], "<f4")[0])
                                   if buf[off + 36] else None)
        return self

    # ---------------------------------------------------------------- raw draws
    def random(self, n: int) -> np.ndarray:
        """``n`` consecutive 32-bit outputs (torch's ``random()``), as ``uint64``."""
        n = int(n)
        if n <= 0:
            return np.zeros(0, dtype=np.uint64)
        self._fresh = False
        return self._bitgen.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """``n`` 64-bit draws (torch's ``random64()``: two outputs, the first is the high half)."""
        raw = self.random(2 * int(n)).reshape(-1, 2)
        return (raw[:, 0] << np.uint64(32)) | raw[:, 1]


default_generator = Generator()
default_generator.seed()


def _gen(generator) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator like ``torch.manual_seed``; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from OS entropy (``torch.seed``)."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed (``torch.initial_seed``)."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state, as ``torch.get_rng_state()`` bytes."""
    return default_generator.get_state()


def set_rng_state(state) -> None:
    """Restore the default generator's state (``torch.set_rng_state``)."""
    default_generator.set_state(state)


# ---------------------------------------------------------------------------------------------
# Exact fused multiply-add (torch's compiled kernels fuse; NumPy has no fma)
# ---------------------------------------------------------------------------------------------
def _two_sum(a, b):
    """s, e with s = fl(a + b) and a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


_SPLITTER = 134217729.0  # 2**27 + 1 (Veltkamp)


def _two_prod(a, b):
    """p, e with p = fl(a * b) and a * b = p + e exactly (Dekker; finite, no underflow)."""
    p = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _is_scalar(v, value) -> bool:
    return np.ndim(v) == 0 and v == value


def _fma64(a, b, c):
    """Correctly rounded float64 ``a * b + c``, elementwise."""
    with np.errstate(all="ignore"):
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
        if _is_scalar(c, 0.0):        # fma(a, b, 0) rounds a * b once
            return a * b
        if _is_scalar(b, 1.0):        # fma(a, 1, c) rounds a + c once
            return a + c
        p, e = _two_prod(a, b)
        s, t = _two_sum(p, c)
        u, v = _two_sum(t, e)
        r, w = _two_sum(s, u)         # exact value = r + w + v, |v| far below r's granularity
        # fl(s + u) can be wrong only when s + u sat exactly halfway between two doubles
        # and the dropped v pushes the true value past that midpoint
        maybe = (v != 0) & (w != 0)
        if np.any(maybe):
            other = np.nextafter(r, np.where(w > 0, np.inf, -np.inf))
            past = maybe & (w == (other - r) * 0.5) & ((v > 0) == (w > 0))
            r = np.where(past, other, r)
    return r


_F32_TINY = 2.0 ** -125       # below this a float32 result may be subnormal


def _fma32(a, b, c):
    """Correctly rounded float32 ``a * b + c`` (``vfmadd..ps``), elementwise, float32 out.

    The operands are float32 values (float64 arrays holding float32 values are accepted too,
    which saves a conversion where one operand feeds several calls).

    In float64 ``a * b`` is exact and ``s = a * b + c`` is rounded once; rounding s again to
    float32 is wrong only when s landed exactly halfway between two float32 values (a float64
    with its low 29 mantissa bits 1000...0) while the exact sum was not — those few elements
    are redone with the exact error of the float64 sum.
    """
    with np.errstate(all="ignore"):
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
        p = a * b                     # exact: 24 x 24 bits fit in 53
        shape = np.broadcast_shapes(p.shape, c.shape)
        p, c = np.broadcast_to(p, shape).reshape(-1), np.broadcast_to(c, shape).reshape(-1)
        s = p + c
        r = s.astype(np.float32)
        low = s.view(np.uint64) & np.uint64(0x1FFFFFFF)
        check = (low == np.uint64(0x10000000)) | (np.abs(r) < np.float32(_F32_TINY))
        if np.any(check):
            i = np.flatnonzero(check)
            si, ti = _two_sum(p[i], c[i])
            ri = r[i]
            rd = ri.astype(np.float64)
            other = np.nextafter(ri, np.where(si > rd, np.inf, -np.inf).astype(np.float32))
            mid = (rd + other.astype(np.float64)) * 0.5
            past = (ti != 0) & (rd != si) & (si == mid) & ((ti > 0) == (other > ri))
            r[i] = np.where(past, other, ri)
    return r.reshape(shape)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _shape(shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _float_dtype(dtype, fn: str) -> np.dtype:
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{fn}: dtype must be float32 or float64, got {dt}")
    return dt


_SLAB = 1 << 16


def _by_slabs(fn, x: np.ndarray, *args, rows: int = _SLAB) -> np.ndarray:
    """``fn(x, *args)`` for a row-wise ``fn``, computed ``rows`` rows at a time.

    Same values; it keeps NumPy's temporaries small. Whole-array temporaries of 4 MiB and more
    get huge pages from NumPy, and faulting those in cost several times the arithmetic.
    """
    if len(x) <= rows:
        return fn(x, *args)
    return np.concatenate([fn(x[i:i + rows], *args) for i in range(0, len(x), rows)])


def _uniform01_f32(gen: Generator, n: int) -> np.ndarray:
    """torch's float uniform in [0, 1): low 24 bits of ``random()`` × 2^-24."""
    bits = gen.random(n) & np.uint64(0xFFFFFF)
    return bits.astype(np.float32) * np.float32(2.0 ** -24)


def _uniform01_f64(gen: Generator, n: int) -> np.ndarray:
    """torch's double uniform in [0, 1): low 53 bits of ``random64()`` × 2^-53."""
    bits = gen.random64(n) & np.uint64((1 << 53) - 1)
    return bits.astype(np.float64) * (2.0 ** -53)


# ---------------------------------------------------------------------------------------------
# uniform
# ---------------------------------------------------------------------------------------------
def uniform(shape, low=0.0, high=1.0, dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype).uniform_(low, high)``; bit-exact.

    torch: per element one float uniform x (24 bits of ``random()`` for float32, 53 bits of
    ``random64()`` for float64), ``fma(x, high - low, low)`` in the dtype (``low``/``high``
    first rounded to it), and a result equal to ``high`` replaced by ``low``.
    """
    dt = _float_dtype(dtype, "uniform")
    shape = _shape(shape)
    if not low <= high:
        raise ValueError(f"uniform: expects low <= high, got low={low}, high={high}")
    gen = _gen(generator)
    n = math.prod(shape)
    if dt == np.float32:
        lo, hi = np.float32(low), np.float32(high)
        x = _uniform01_f32(gen, n)
        out = _by_slabs(_fma32, x, hi - lo, lo)
    else:
        lo, hi = np.float64(low), np.float64(high)
        x = _uniform01_f64(gen, n)
        out = _by_slabs(_fma64, x, hi - lo, lo)
    out = np.where(out == hi, lo, out).astype(dt)
    return out.reshape(shape)


def rand(shape, dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.rand(shape, dtype=dtype)``: uniform in [0, 1); bit-exact."""
    return uniform(shape, 0.0, 1.0, dtype, generator)


# ---------------------------------------------------------------------------------------------
# normal
# ---------------------------------------------------------------------------------------------
def _f32(v):
    return np.float32(v)


# avx_mathfun.h constants, as float32
_MIN_NORM_BITS = np.int32(0x00800000)
_SQRTHF = _f32(0.707106781186547524)
_LOG_P = [_f32(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                            -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                            2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1, _LOG_Q2 = _f32(-2.12194440e-4), _f32(0.693359375)
_FOPI = _f32(1.27323954473516)
_NEG_DP1, _NEG_DP2, _NEG_DP3 = _f32(-0.78515625), _f32(-2.4187564849853515625e-4), \
    _f32(-3.77489497744594108e-8)
_SINCOF = [_f32(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]
_COSCOF = [_f32(v) for v in (2.443315711809948E-005, -1.388731625493765E-003,
                             4.166664568298827E-002)]
_TWO_PI_F32 = _f32(2.0 * math.pi)


def _avx2_log(x: np.ndarray) -> np.ndarray:
    """torch's ``log256_ps`` (Cephes logf) as GCC compiled it for AVX2 (fused steps = fma)."""
    x = np.maximum(x, _MIN_NORM_BITS.view(np.float32))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(np.float32) + _f32(1.0)   # the shift is logical; x > 0
    x = ((bits & np.int32(-0x7F800001)) | np.int32(0x3F000000)).view(np.float32)
    small = x < _SQRTHF
    e = e - np.where(small, _f32(1.0), _f32(0.0))
    x = (x + _f32(-1.0)) + np.where(small, x, _f32(0.0))
    z = x * x
    x64 = x.astype(np.float64)
    y = _fma32(_LOG_P[0], x64, _LOG_P[1])
    for coef in _LOG_P[2:]:
        y = _fma32(y, x64, coef)
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    y = y - z * _f32(0.5)
    x = x + y
    return _fma32(e, _LOG_Q2, x)


def _avx2_sincos(theta: np.ndarray):
    """torch's ``sincos256_ps`` (Cephes sinf/cosf) as compiled for AVX2; theta >= 0."""
    x = np.abs(theta)
    j = (x * _FOPI).astype(np.int32)          # cvttps2dq: truncation
    j = (j + 1) & np.int32(~1)
    y = j.astype(np.float32)
    sin_neg = (j & 4) != 0
    poly_is_sin = (j & 2) == 0
    cos_neg = (~(j - 2) & 4) != 0
    y64 = y.astype(np.float64)
    x = _fma32(y64, _NEG_DP1, x)
    x = _fma32(_NEG_DP2, y64, x)
    x = _fma32(y64, _NEG_DP3, x)
    z = x * x
    z64 = z.astype(np.float64)
    yc = _fma32(_COSCOF[0], z64, _COSCOF[1])
    yc = _fma32(yc, z64, _COSCOF[2])
    yc = z * yc
    yc = _fma32(z64, yc, -(z * _f32(0.5)))
    yc = yc + _f32(1.0)
    ys = _fma32(_SINCOF[0], z64, _SINCOF[1])
    ys = _fma32(ys, z64, _SINCOF[2])
    ys = _fma32(x, z * ys, x)
    sin = np.where(poly_is_sin, ys, yc)
    cos = np.where(poly_is_sin, yc, ys)
    sin = np.where(sin_neg ^ (theta < 0), -sin, sin)
    cos = np.where(cos_neg, -cos, cos)
    return sin, cos


def _normal_fill16_f32(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's AVX2 ``NormalFill16<float>`` on rows of 16 uniforms (shape (k, 16))."""
    u1 = _f32(1.0) - u[:, :8]
    radius = np.sqrt(_avx2_log(u1) * _f32(-2.0))
    theta = _TWO_PI_F32 * u[:, 8:]
    sin, cos = _avx2_sincos(theta)
    out = np.empty_like(u)
    out[:, :8] = _fma32(radius * cos, std, mean)
    out[:, 8:] = _fma32(radius * sin, std, mean)
    return out


def _normal_fill16_f64(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's generic ``NormalFill16<double>`` (glibc log/sincos, explicit fma)."""
    radius = np.sqrt(np.log(1.0 - u[:, :8]) * -2.0)
    theta = (2.0 * math.pi) * u[:, 8:]
    out = np.empty_like(u)
    out[:, :8] = _fma64(radius * np.cos(theta), std, mean)
    out[:, 8:] = _fma64(radius * np.sin(theta), std, mean)
    return out


def _normal_scalar_path(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """torch's per-element ``normal_distribution<double>`` (tensors of < 16 elements).

    Each fresh Box–Muller pair costs two float64 uniforms u1, u2:
    r = sqrt(-2 log1p(-u2)), θ = 2π u1; r cos θ is returned now and r sin θ is cached in the
    generator for the next normal; the output is fma(z, std, mean) in float64.
    """
    z = []
    cached = gen._next_double_normal
    if n and cached is not None:
        z.append(np.array([cached]))
        gen._next_double_normal = None
    need = n - sum(len(c) for c in z)
    if need > 0:
        pairs = (need + 1) // 2
        u = _uniform01_f64(gen, 2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * np.log1p(-u[:, 1]))
        theta = (2.0 * math.pi) * u[:, 0]
        both = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)
        z.append(both[:need])
        if need % 2:
            gen._next_double_normal = float(both[-1])
    z = np.concatenate(z) if z else np.zeros(0)
    return _fma64(z, std, mean)


def normal(shape, mean=0.0, std=1.0, dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype).normal_(mean, std)``; bit-exact (see the module notes).

    >= 16 elements: uniforms for the whole tensor, Box–Muller on each block of 16, and when
    the size is not a multiple of 16 the last 16 elements drawn and transformed once more.
    float32 uses torch's AVX2 log/sincos polynomials, float64 the C library.
    < 16 elements: :func:`_normal_scalar_path` (with the generator's cached normal).
    """
    dt = _float_dtype(dtype, "normal")
    if std < 0:
        raise ValueError(f"normal: expects std >= 0.0, got std={std}")
    shape = _shape(shape)
    gen = _gen(generator)
    n = math.prod(shape)
    if n < 16:
        return _normal_scalar_path(gen, n, mean, std).astype(dt).reshape(shape)
    if dt == np.float32:
        draw, fill, m, s = _uniform01_f32, _normal_fill16_f32, _f32(mean), _f32(std)
    else:
        draw, fill, m, s = _uniform01_f64, _normal_fill16_f64, float(mean), float(std)
    data = draw(gen, n)
    full = n // 16 * 16
    data[:full] = _by_slabs(fill, data[:full].reshape(-1, 16), m, s,
                            rows=_SLAB // 16).reshape(-1)
    if n % 16:
        data[n - 16:] = fill(draw(gen, 16).reshape(1, 16), m, s).reshape(-1)
    return data.reshape(shape)


def randn(shape, dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.randn(shape, dtype=dtype)``: ``normal(shape, 0, 1)``; bit-exact."""
    return normal(shape, 0.0, 1.0, dtype, generator)


# ---------------------------------------------------------------------------------------------
# integers
# ---------------------------------------------------------------------------------------------
def _float_representable_bounds(low: int, high: int, dt: np.dtype) -> tuple:
    """torch's ``update_from``/``update_to``: for a float dtype, move ``low``/``high - 1`` in
    when rounding them to the dtype would step outside [low, high)."""
    digits = np.finfo(dt).nmant + 1

    def as_float_int(v):
        return int(dt.type(v))

    low_plus_1 = as_float_int(low + 1)
    if low_plus_1 < low:
        low = low_plus_1 + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    high_minus_1 = as_float_int(high - 1)
    if high_minus_1 >= high:
        high = high_minus_1 - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    if not low < high:
        raise ValueError(f"randint: expects low < high after rounding them to {dt}, got "
                         f"low={low} >= high={high}")
    return low, high


def randint(low, high, shape, dtype=np.int64, generator=None) -> np.ndarray:
    """``torch.randint(low, high, shape, dtype=dtype)``; bit-exact.

    torch: ``range = high - low``; each element is ``random() % range + low``, or
    ``random64() % range + low`` when ``range >= 2**28``. For a float dtype torch first pulls
    ``low``/``high`` in where the dtype cannot hold them (``update_from``/``update_to``).
    """
    low, high = int(low), int(high)
    if not low < high:
        raise ValueError(f"randint: expects low < high, got low={low} >= high={high}")
    dt = np.dtype(dtype)
    if dt.kind == "f":
        low, high = _float_representable_bounds(low, high, dt)
    span = high - low
    if span > _U64:
        raise ValueError(f"randint: the range high - low = {span} does not fit in 64 bits")
    shape = _shape(shape)
    gen = _gen(generator)
    n = math.prod(shape)
    raw = gen.random64(n) if span >= (1 << 28) else gen.random(n)
    with np.errstate(over="ignore"):
        values = (raw % np.uint64(span)) + np.uint64(low & _U64)   # wraps like C++ uint64
    return values.view(np.int64).astype(dtype).reshape(shape)


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


def randperm(n: int, dtype=np.int64, generator=None) -> np.ndarray:
    """``torch.randperm(n, dtype=dtype)``; bit-exact.

    torch: for ``n < 2**32 / 20``, start from ``arange(n)`` and for ``i = 0 .. n-2`` swap
    element i with element ``i + random() % (n - i)``; for larger n the "inside-out"
    shuffle ``a[i] = a[z]; a[z] = i`` with ``z = random64() % (i + 1)``. Both are replayed
    with array operations (sort + pointer jumping), not a loop over elements.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    gen = _gen(generator)
    if n < _RANDPERM_SMALL:
        if n <= 1:
            return np.arange(n, dtype=dtype)
        z = gen.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        return _shuffle_swaps(z, n).astype(dtype)
    z = gen.random64(n) % np.arange(1, n + 1, dtype=np.uint64)
    return _inside_out(z, n).astype(dtype)


# ---------------------------------------------------------------------------------------------
# bernoulli, dropout, exponential, multinomial
# ---------------------------------------------------------------------------------------------
def bernoulli(p, shape=None, dtype=None, generator=None) -> np.ndarray:
    """Bernoulli draws, 1 with probability p; bit-exact.

    * ``p`` a NumPy array: ``torch.bernoulli(p)`` (``shape`` given: ``torch.empty(shape)
      .bernoulli_(p)``, p broadcast to it). One uniform per element in C order — float32 for
      a float32 p, float64 for a float64 p — and ``u < p``. dtype defaults to p's.
    * ``p`` a Python/NumPy scalar: ``torch.empty(shape, dtype).bernoulli_(p)``: one float64
      uniform per element and ``u < p``. dtype defaults to float32.
    """
    gen = _gen(generator)
    if isinstance(p, np.ndarray):
        pa = p if p.dtype in (np.float32, np.float64) else p.astype(np.float32)
        out_shape = pa.shape if shape is None else _shape(shape)
        pb = np.broadcast_to(pa, out_shape)
        n = math.prod(out_shape)
        u = _uniform01_f64(gen, n) if pa.dtype == np.float64 else _uniform01_f32(gen, n)
        hits = u.reshape(out_shape) < pb
        return hits.astype(pa.dtype if dtype is None else dtype)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"bernoulli: expects 0 <= p <= 1, got p={p}")
    out_shape = _shape(shape)
    u = _uniform01_f64(gen, math.prod(out_shape))
    return (u < p).astype(np.float32 if dtype is None else dtype).reshape(out_shape)


def dropout_mask(shape, p, dtype=np.float32, generator=None) -> np.ndarray:
    """The mask ``F.dropout(x, p, training=True)`` multiplies x by; bit-exact.

    torch (``_dropout_impl``): ``noise = empty_like(x).bernoulli_(1 - p)`` (one float64
    uniform per element, kept when ``u < 1 - p``), then ``noise.div_(1 - p)`` in x's dtype,
    so kept entries are ``1 / (1 - p)`` rounded to the dtype. p == 0 and p == 1 draw nothing.
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    dt = _float_dtype(dtype, "dropout_mask")
    shape = _shape(shape)
    if p == 0.0:
        return np.ones(shape, dtype=dt)
    if p == 1.0:
        return np.zeros(shape, dtype=dt)
    keep = bernoulli(1.0 - p, shape, dt, generator)
    return keep / dt.type(1.0 - p)


def exponential(shape, lambd=1.0, dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype).exponential_(lambd)``; bit-exact.

    torch: one float64 uniform u per element, ``(-1 / lambd) * log1p(-u)`` in float64, then
    rounded to the dtype.
    """
    dt = _float_dtype(dtype, "exponential")
    if not lambd > 0:
        raise ValueError(f"exponential: expects lambd > 0.0, got lambd={lambd}")
    shape = _shape(shape)
    u = _uniform01_f64(_gen(generator), math.prod(shape))
    return ((-1.0 / float(lambd)) * np.log1p(-u)).astype(dt).reshape(shape)


def multinomial(probs, num_samples: int, replacement: bool = False,
                generator=None) -> np.ndarray:
    """``torch.multinomial(probs, num_samples, replacement)`` for 1-D or 2-D float ``probs``.

    * Without replacement, or with ``num_samples == 1``: ``q = exponential(probs.shape)``,
      then ``argmax`` (one sample) or the indices of the ``num_samples`` largest of
      ``probs / q`` in decreasing order, computed in probs' dtype.
    * With replacement and several samples: per row, the float cumulative sum divided by its
      total (the last entry set to 1), then one float64 uniform per sample, row after row,
      and the first index whose cumulative value is >= the uniform.
    Returns int64 indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.
    """
    p = np.asarray(probs)
    if p.dtype not in (np.float32, np.float64):
        raise TypeError(f"multinomial only supports floating-point dtypes for input, "
                        f"got {p.dtype}")
    if p.ndim not in (1, 2):
        raise ValueError(f"multinomial: prob_dist must be 1 or 2 dim, got {p.ndim} dims")
    k = int(num_samples)
    if k <= 0:
        raise ValueError("multinomial: cannot sample num_samples <= 0 samples")
    n_cat = p.shape[-1]
    if not replacement and k > n_cat:
        raise ValueError(f"multinomial: cannot sample num_samples={k} > "
                         f"prob_dist.size(-1)={n_cat} samples without replacement")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("multinomial: probability tensor contains either `inf`, `nan` or "
                         "element < 0")
    rows = p.reshape(-1, n_cat)
    if np.any(rows.sum(axis=1) == 0):
        raise ValueError("multinomial: invalid multinomial distribution (sum of "
                         "probabilities <= 0)")
    gen = _gen(generator)
    if not replacement or k == 1:
        q = exponential(rows.shape, 1.0, p.dtype, gen)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = rows / q
        if k == 1:
            idx = np.argmax(score, axis=1)[:, None]
        else:
            idx = np.argsort(-score, axis=1, kind="stable")[:, :k]
    else:
        cum = np.cumsum(rows, axis=1, dtype=p.dtype)           # sequential, in p's dtype
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _uniform01_f64(gen, rows.shape[0] * k).reshape(rows.shape[0], k)
        idx = np.stack([np.searchsorted(c.astype(np.float64), ur, side="left")
                        for c, ur in zip(cum, u)])             # one search per row
    idx = idx.astype(np.int64)
    return idx.reshape(k) if p.ndim == 1 else idx


# ---------------------------------------------------------------------------------------------
# initialisers
# ---------------------------------------------------------------------------------------------
def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, dtype=np.float32,
                 generator=None) -> np.ndarray:
    """``torch.nn.init.trunc_normal_(torch.empty(shape, dtype), mean, std, a, b)`` (torch 2.13).

    torch 2.13 no longer uses ``uniform_`` + ``erfinv_``. When [a, b] holds more than 30% of
    the mass it draws ``normal_(mean, std)`` and, while any value lies outside [a, b], draws a
    whole fresh ``normal_`` tensor and takes its values at those places (bit-exact here).
    Otherwise it is a rejection sampler: candidates ``uniform_(a, b)``, accepted unless
    ``log(uniform_()) > -((c - mean) / std)**2 / 2 - log_peak``, rejected places redrawn
    (whole tensors each round). Same draws here; a ``log`` within 1 ulp of its threshold can
    decide differently (torch uses SLEEF), so that branch is not guaranteed bit-exact (it
    matched in every test: 40 seeds x 2 000 samples x 2 dtypes).
    """
    dt = _float_dtype(dtype, "trunc_normal")
    shape = _shape(shape)
    gen = _gen(generator)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in trunc_normal. The distribution "
                      "of values may be incorrect.", stacklevel=2)
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass > 0.3:
        lo, hi = dt.type(a), dt.type(b)
        result = normal(shape, mean, std, dt, gen)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                return result
            result = np.where(outside, normal(shape, mean, std, dt, gen), result)
    mode = max(a, min(mean, b))
    log_peak = dt.type(-0.5 * ((mode - mean) / std) ** 2)
    m, s = dt.type(mean), dt.type(std)

    def log_density(c):
        d = (c - m) / s
        return (d * d) * dt.type(-0.5) - log_peak

    def reject(c):
        u = uniform(shape, 0.0, 1.0, dt, gen)
        with np.errstate(divide="ignore"):
            log_u = np.log(u.astype(np.float64)).astype(dt)
        return log_u > log_density(c)

    result = uniform(shape, a, b, dt, gen)
    pending = reject(result)
    while pending.any():
        candidates = uniform(shape, a, b, dt, gen)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, reject(candidates), pending)
    return result


def _fans(shape) -> tuple:
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu",
                    dtype=np.float32, generator=None) -> np.ndarray:
    """``torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype), a, mode, nonlinearity)``.

    ``bound = gain * sqrt(3 / fan)`` computed with Python floats exactly as torch does, then
    ``uniform(shape, -bound, bound)``; bit-exact. ``nn.Linear``/``nn.Conv2d`` default init is
    this with ``a = sqrt(5)`` for the weight, then ``uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))``
    for the bias.
    """
    shape = _shape(shape)
    fan_in, fan_out = _fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out}.get(mode)
    if fan is None:
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    if nonlinearity == "leaky_relu":
        slope = 0.01 if a is None else a
        gain = math.sqrt(2.0 / (1 + slope ** 2))
    elif nonlinearity == "relu":
        gain = math.sqrt(2.0)
    elif nonlinearity == "tanh":
        gain = 5.0 / 3
    elif nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d", "conv3d"):
        gain = 1
    else:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform(shape, -bound, bound, dtype, generator)


# ---------------------------------------------------------------------------------------------
# data order
# ---------------------------------------------------------------------------------------------
def _random_int64(gen: Generator) -> int:
    """``torch.empty((), dtype=torch.int64).random_()``: ``random64() % 2**63``."""
    return int(gen.random64(1)[0] & np.uint64((1 << 63) - 1))


def _randperm_draws(n: int, gen: Generator) -> None:
    """Advance ``gen`` past one ``randperm(n)`` without building it."""
    if n >= _RANDPERM_SMALL:
        gen.random64(n)
    elif n > 1:
        gen.random(n - 1)


def random_sampler_order(n: int, generator=None) -> np.ndarray:
    """One full epoch of ``torch.utils.data.RandomSampler(range(n), generator=generator)``.

    With ``generator=None`` torch draws a seed ``random_()`` from the default generator,
    seeds a fresh generator with it and takes ``randperm(n)`` from that; with a generator it
    takes ``randperm(n)`` from it directly. After the last index the sampler draws one more
    ``randperm(n)`` (for the ``num_samples % n`` remainder, here empty) before it stops; an
    explicit generator is advanced past it too, as a fully iterated epoch does. Bit-exact.
    """
    if generator is None:
        return randperm(n, generator=Generator(_random_int64(default_generator)))
    order = randperm(n, generator=generator)
    _randperm_draws(n, generator)
    return order


def dataloader_order(n: int, generator=None) -> np.ndarray:
    """The sample order of one epoch of ``DataLoader(dataset_of_n, shuffle=True,
    generator=generator)`` (``num_workers=0``). Bit-exact.

    Starting an epoch (``iter(loader)``) first draws the iterator's ``_base_seed`` —
    ``random_()`` from ``generator`` or the default one — and the sampler then runs
    :func:`random_sampler_order`.
    """
    _random_int64(_gen(generator))
    return random_sampler_order(n, generator)
