"""kernels/libm: the C library's float64 log, log1p, sin, cos and pow over arrays — what torch's
samplers, logspace and zeta call — element for element, whatever SIMD loops NumPy picks on
this CPU (on AVX-512 CPUs its own float64 log/log1p/pow are up to 1 ulp away)."""
import math

import numpy as np
import pytest

from tinygrad_sgd.kernels import libm

R = np.random.default_rng(7)
CASES = [  # (ours, C library via math, inputs, C's answer where math raises)
    (libm.log, math.log, [R.random(5000), np.array([0.0, -1.0, np.inf, np.nan, 5e-324])],
     {0.0: -np.inf, -1.0: np.nan}),
    (libm.log1p, math.log1p, [-R.random(5000), np.array([-1.0, -2.0, np.inf, np.nan])],
     {-1.0: -np.inf, -2.0: np.nan}),
    (libm.sin, math.sin, [R.random(5000) * 6.3, np.array([np.inf, np.nan, 1e300])],
     {np.inf: np.nan}),
    (libm.cos, math.cos, [R.random(5000) * 6.3, np.array([-np.inf, np.nan, 1e300])],
     {-np.inf: np.nan}),
]


def _c_library(fn, values, special):
    out = []
    for v in values.tolist():
        try:
            out.append(fn(v))
        except (ValueError, OverflowError):
            out.append(special[v])
    return np.array(out)


@pytest.mark.parametrize("ours, c_fn, inputs, special", CASES,
                         ids=["log", "log1p", "sin", "cos"])
def test_unary_functions_are_the_c_librarys(ours, c_fn, inputs, special):
    for x in inputs:
        got = ours(x)
        assert got.dtype == np.float64 and got.shape == x.shape
        np.testing.assert_array_equal(got, _c_library(c_fn, x, special))
    two_d = inputs[0][:12].reshape(3, 4)
    np.testing.assert_array_equal(ours(two_d), ours(two_d.ravel()).reshape(3, 4))


def test_power_is_the_c_librarys_and_broadcasts():
    e = R.uniform(-20, 20, 5000)
    np.testing.assert_array_equal(libm.power(np.float64(10.0), e),
                                  [math.pow(10.0, v) for v in e.tolist()])
    base = np.array([[2.0], [0.0], [-8.0]])
    expo = np.array([1e4, -1.0, 1 / 3])       # overflow, pole, negative base: inf, inf, nan
    got = libm.power(base, expo)
    assert got.shape == (3, 3)
    np.testing.assert_array_equal(got[:, 0], [np.inf, 0.0, np.inf])
    np.testing.assert_array_equal(got[1], [0.0, np.inf, 0.0])
    assert np.isnan(got[2, 2]) and got[2, 1] == -0.125
