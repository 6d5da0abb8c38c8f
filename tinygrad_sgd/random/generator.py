"""The generator: torch's CPU ``Generator`` (MT19937 plus a cached normal), its state bytes,
the default generator with its module-level controls (``manual_seed``, ``seed``,
``initial_seed``, ``get_rng_state``, ``set_rng_state``), and the raw uniforms every
distribution starts from.
"""
from __future__ import annotations

import contextlib
import ctypes
import os

import numpy as np

from .. import kernels
from ..dtypes import _SCALAR_TYPE_NAMES, cast, default_float

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]

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


def _state_array(state) -> np.ndarray:
    """The bytes of a state given as a uint8 Tensor or NumPy array (torch's ByteTensor)."""
    raw = getattr(state, "array", state)
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    raw = raw.reshape(-1)
    if raw.size != _STATE_SIZE:
        raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found "
                           f"the input RNG state size to be {raw.size}")
    return raw


class Generator:
    """A torch-compatible CPU random generator: MT19937 plus torch's cached normal sample.

    ``Generator()`` starts where ``torch.Generator()`` does (seed 67280421310721);
    ``Generator(seed)`` is ``torch.Generator().manual_seed(seed)``. Pass it as ``generator=``
    to any draw (``tinygrad_sgd.rand(3, generator=g)``, ``x.uniform_(generator=g)``, the
    functions of :mod:`tinygrad_sgd.random`).
    """

    def __init__(self, seed: int = TORCH_DEFAULT_SEED, *, device=None):
        if isinstance(seed, str) or device is not None:     # torch.Generator("cpu")
            device, seed = (seed, TORCH_DEFAULT_SEED) if isinstance(seed, str) else (device, seed)
            if str(device).split(":")[0] != "cpu":
                raise RuntimeError(f"Generator: device {str(device)!r} is not available: "
                                   f"tinygrad_sgd computes on the CPU only")
        self._bitgen = np.random.MT19937(0)
        self.manual_seed(seed)

    @property
    def device(self) -> str:
        return "cpu"

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

    def get_state(self):
        """The state as the 5056-byte uint8 Tensor ``torch.Generator.get_state()`` returns."""
        from ..tensor import Tensor
        return Tensor._of(self.state_bytes())

    def state_bytes(self) -> np.ndarray:
        """The state as a NumPy ``uint8`` array of 5056 bytes, laid out as torch's
        ``CPUGeneratorImplState``: seed, ``left``, ``seeded``, ``next``, the 624 state words
        (as uint64), the cached float64 normal, the cached float32 normal."""
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
        """Restore a state from ``get_state``/``state_bytes`` (or torch's
        ``get_rng_state()``): a uint8 Tensor or NumPy array of 5056 bytes."""
        buf = _state_array(state).tobytes()
        seed_value = int.from_bytes(buf[0:8], "little")
        left = int.from_bytes(buf[8:12], "little", signed=True)
        nxt = int.from_bytes(buf[16:24], "little")
        key = np.frombuffer(buf[24:24 + 8 * _MT_N], dtype="<u8").astype(np.uint32)
        off = 24 + 8 * _MT_N
        if not (0 < left <= _MT_N and nxt <= _MT_N):
            raise RuntimeError(f"Invalid mt19937 state (left={left}, next={nxt})")
        if left == 1:          # the next draw regenerates the block, whatever `next` says
            pos, fresh = _MT_N, nxt == 0
        elif left + nxt == _MT_N + 1:
            pos, fresh = nxt, False
        else:
            raise RuntimeError(f"set_state: unsupported MT19937 position (left={left}, "
                               f"next={nxt}); torch's own states have left + next == 625")
        self._seed = seed_value
        self._set_engine(key, pos=pos, fresh=fresh)
        normal_valid = int.from_bytes(buf[off + 24:off + 28], "little") != 0
        self._next_double_normal = (float(np.frombuffer(buf[off + 8:off + 16], "<f8")[0])
                                    if normal_valid else None)
        self._next_float_normal = (float(np.frombuffer(buf[off + 32:off + 36], "<f4")[0])
                                   if buf[off + 36] else None)
        return self

    def clone_state(self) -> Generator:
        """A new generator in this one's state (seed, position, cached normal)."""
        return Generator().set_state(self.state_bytes())

    def graphsafe_get_state(self):
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def get_offset(self):
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset):
        raise RuntimeError("CPU Generator does not use offset")

    # ---------------------------------------------------------------- raw draws
    def _before_draw(self) -> None:
        """Tell each running ``func.vmap`` (its ``randomness`` mode) that a draw comes."""
        for hook in DRAW_HOOKS:
            hook(self)

    def random(self, n: int) -> np.ndarray:
        """``n`` consecutive 32-bit outputs (torch's ``random()``), as ``uint64``."""
        n = int(n)
        if n <= 0:
            return np.zeros(0, dtype=np.uint64)
        self._before_draw()
        self._fresh = False
        return kernels.random.mt19937_outputs(self._bitgen, self._state_words(), n)

    def _state_words(self) -> np.ndarray:
        """The MT19937 state as 625 uint32 sharing the bit generator's memory (NumPy's
        ``mt19937_state``: the 624 key words, then the position), for the compiled draws."""
        words = self.__dict__.get("_words")
        if words is None:
            address = self._bitgen.ctypes.state_address
            words = self._words = np.ctypeslib.as_array(
                (ctypes.c_uint32 * (_MT_N + 1)).from_address(address))
        return words

    def __getstate__(self):
        # (a copy or a pickle takes the bit generator's state, not the view of its memory:
        # the copy's view is made again, of its own bit generator)
        state = dict(self.__dict__)
        state.pop("_words", None)
        return state

    def random64(self, n: int) -> np.ndarray:
        """``n`` 64-bit draws (torch's ``random64()``: two outputs, the first is the high half)."""
        raw = self.random(2 * int(n)).reshape(-1, 2)
        return (raw[:, 0] << np.uint64(32)) | raw[:, 1]


# One callable per running ``func.vmap`` (outermost first), called with the generator before
# every draw: it raises in randomness="error" mode and saves/restores states for "same".
DRAW_HOOKS = []

default_generator = Generator()
default_generator.seed()          # as torch: a fresh process starts from an entropy seed


def _gen(generator) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_sgd.Generator, got "
                        f"{type(generator).__name__}")
    return generator


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
    """The default generator's state, as the NumPy bytes of ``torch.get_rng_state()``."""
    return default_generator.state_bytes()


def set_rng_state(state) -> None:
    """Restore the default generator's state (``torch.set_rng_state``)."""
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """``torch.random.fork_rng``: run the ``with`` block, then put the default generator back
    in the state it was in (its state bytes: seed, position, cached normal), whatever the
    block drew. ``enabled=False`` forks nothing. Only the CPU generator exists here, so
    ``devices`` must be None or empty."""
    if device_type == "meta" or not enabled:
        yield
        return
    if devices is not None and list(devices):
        raise AssertionError(f"{_caller}: {_devices_kw}={list(devices)}: tinygrad_sgd runs on "
                             f"the CPU only (Torch not compiled with CUDA enabled)")
    state = default_generator.state_bytes()
    try:
        yield
    finally:
        default_generator.set_state(state)


# ---------------------------------------------------------------------------------------------
# arguments shared by the draws
# ---------------------------------------------------------------------------------------------
_TORCH_NAMES = _SCALAR_TYPE_NAMES


def torch_dtype_name(dtype) -> str:
    """torch's name of a dtype in its messages: ``'Long'`` for int64, ``'Float'``, ..."""
    dt = np.dtype(dtype)
    return _TORCH_NAMES.get(dt.name, dt.name)


def _shape(shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        bad = next(s for s in shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(shape)}")
    return shape


def _float_dtype(dtype, kernel: str) -> np.dtype:
    """``dtype`` (None: the default float dtype, float32 unless ``set_default_dtype`` changed
    it), which must be float16, float32 or float64; otherwise torch's
    ``NotImplementedError: "<kernel>" not implemented for 'Long'``."""
    dt = np.dtype(default_float() if dtype is None else dtype)
    if dt not in (np.float16, np.float32, np.float64):
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_dtype_name(dt)}'")
    return dt


def _from_double(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """float64 values in ``dt`` as C++'s ``static_cast<scalar_t>(double)`` gives them: float16
    (``c10::Half``, built from a float) by way of float32 — two roundings, as torch
    (:func:`~tinygrad_sgd.dtypes.cast`, every conversion's rule)."""
    return cast(values, dt)


def _uniform01_f32(gen: Generator, n: int) -> np.ndarray:
    """torch's float uniform in [0, 1): low 24 bits of ``random()`` × 2^-24."""
    bits = gen.random(n) & np.uint64(0xFFFFFF)
    return bits.astype(np.float32) * np.float32(2.0 ** -24)


def _uniform01_f64(gen: Generator, n: int) -> np.ndarray:
    """torch's double uniform in [0, 1): low 53 bits of ``random64()`` × 2^-53."""
    bits = gen.random64(n) & np.uint64((1 << 53) - 1)
    return bits.astype(np.float64) * (2.0 ** -53)


def _uniform01_f64_where_below(gen: Generator, n: int, p: float, value) -> np.ndarray:
    """``value`` (a NumPy scalar of the result's dtype) where ``_uniform01_f64(gen, n) < p``,
    else 0: bernoulli's and dropout's mask in one pass (:func:`..kernels.random.where_below`)."""
    return kernels.random.where_below(gen.random(2 * n), p, value)
