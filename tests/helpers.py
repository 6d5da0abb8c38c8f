"""Helpers for the tests that draw pictures (``test_plots.py``, ``test_tutorials.py``): read a
PNG back and check it is a real picture, and close every figure after each test; and
:func:`ulps`, the distance of two float arrays in units in the last place (the bit tests).

A test module takes the fixture by importing it: ``from helpers import close_figures``.
Nothing here imports torch, and matplotlib only when a PNG is read or a figure closed.
"""
from pathlib import Path

import numpy as np
import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure after the test (pyplot keeps them alive)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def read_png(path):
    """Check that ``path`` was written and is a PNG; return its pixels, (H, W, 3) floats."""
    import matplotlib.image

    path = Path(path)
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 1000, f"{path} is too small to be a picture"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return matplotlib.image.imread(path)[..., :3]


def n_colours(pixels):
    """How many different colours an (H, W, 3) picture has (a blank one has very few)."""
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


def bits(a, b):
    """Assert ``a`` and ``b`` are the same array bit for bit: dtype, shape, and every byte (a
    NaN's payload and a zero's sign included)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


def ulps(a, b):
    """Elementwise distance between two float arrays of one dtype, in units in the last place
    (0 where equal, NaN against NaN included; meant for same-sign finite values)."""
    a, b = np.asarray(a), np.asarray(b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    ints = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    d = np.abs(a.view(ints).astype(np.int64) - b.view(ints).astype(np.int64))
    return np.where(same, 0, d)


def _cpu_vendor():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor()


# torch's CPU build takes Intel-tuned kernels of MKL and oneDNN on an Intel CPU and others
# elsewhere (AMD's), and they round differently: measured on an Intel Xeon with AVX-512 and
# AVX512-FP16 against an AMD EPYC Zen 5, the same torch 2.13 gives (a) small float32 batched
# products (affine_grid's [x, y, 1]·θᵀ) as a chain of fused multiply-adds, where on the Zen 5
# each product and sum is rounded; (b) float16 conv3d gradients accumulated in float32 (on the
# Zen 5: float16 rounding between taps, which this library reproduces — up to 34,000 ulps
# apart near zero, 2-5x less accurate than Intel's); (c) float16 gelu a few ulps apart; (d) an
# exactly singular matrix's LU pivot as a tiny non-zero (slogdet's sign −1, not 0); and (e) so
# training runs drifting a little differently. The library's "torch's bits" are those of the
# kernels torch runs on other CPUs: on an Intel CPU the tests that check them compare with a
# tolerance instead, each naming the rounding it allows.
INTEL_CPU = _cpu_vendor() == "GenuineIntel"
