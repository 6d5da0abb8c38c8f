"""Compiled backward steps of the recurrent layers (:mod:`tinygrad_sgd.kernels.recurrent`): the
elementwise part of one time step of an LSTM's, GRU's or tanh RNN's backward in one loop over
the step's (batch, hidden) elements, instead of ~15 NumPy passes. Each element goes through the
NumPy twin's operations in the same order, each rounded to the dtype (no fastmath); tanh's
derivative 1 − t² is one fused multiply-add, LLVM's ``llvm.fma`` (exact, as the NumPy twin's
emulation :func:`tinygrad_sgd.kernels.vecmath.fma`, which costs ~8 ns an element): the same
bits. The forward steps stay on NumPy: their e^x and tanh are NumPy's float64 SIMD loops, which
numba's libm calls (one per element) would not beat.

Float32 and float64 (``one`` is 1 in the arrays' dtype, so no literal promotes a float32
expression to float64); C-contiguous rows (views of whole rows of the saved arrays)."""
import numba

from .optim import _fma

__all__ = ["lstm_step_backward", "gru_step_backward", "tanh_step_backward"]

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _lstm_step(dh, dy, dc, act, tanh_c, c_prev, dp, one):
    hid = dy.shape[1]
    for r in range(dy.shape[0]):
        for j in range(hid):
            gh = dh[r, j] + dy[r, j]
            i, f = act[r, j], act[r, hid + j]
            g, o = act[r, 2 * hid + j], act[r, 3 * hid + j]
            t = tanh_c[r, j]
            dc2 = (gh * o) * _fma(-t, t, one) + dc[r, j]
            u = dc2 * g
            dp[r, j] = (u * (one - i)) * i
            u = dc2 * c_prev[r, j]
            dp[r, hid + j] = (u * (one - f)) * f
            dp[r, 2 * hid + j] = (dc2 * i) * _fma(-g, g, one)
            u = gh * t
            dp[r, 3 * hid + j] = (u * (one - o)) * o
            dc[r, j] = dc2 * f


def lstm_step_backward(dh, dy, dc, act, tanh_c, c_prev, dp):
    """One step of :func:`tinygrad_sgd.kernels.recurrent.lstm_backward`: g_h = dh + dy, the
    gates' gradient into ``dp`` and dL/dc = d_c'·f into ``dc`` (in place)."""
    _lstm_step(dh, dy, dc, act, tanh_c, c_prev, dp, act.dtype.type(1))


@_jit
def _gru_step(g, act, hidden, h_prev, da, db, dh, one):
    hid = g.shape[1]
    for r in range(g.shape[0]):
        for j in range(hid):
            gg = g[r, j]
            rr, z, n = act[r, j], act[r, hid + j], act[r, 2 * hid + j]
            dn = (gg - gg * z) * _fma(-n, n, one)
            u = dn * hidden[r, 2 * hid + j]
            dr = (u * (one - rr)) * rr
            u = gg * (h_prev[r, j] - n)
            dz = (u * (one - z)) * z
            da[r, j] = db[r, j] = dr
            da[r, hid + j] = db[r, hid + j] = dz
            da[r, 2 * hid + j] = dn
            db[r, 2 * hid + j] = dn * rr
            dh[r, j] = gg * z


def gru_step_backward(g, act, hidden, h_prev, da, db, dh):
    """One step of :func:`tinygrad_sgd.kernels.recurrent.gru_backward` after g: the input and
    hidden products' gradients into ``da``, ``db`` and g·z into ``dh``."""
    _gru_step(g, act, hidden, h_prev, da, db, dh, act.dtype.type(1))


@_jit
def _tanh_step(dh, dy, y, dp, one):
    for r in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            t = y[r, j]
            dp[r, j] = (dh[r, j] + dy[r, j]) * _fma(-t, t, one)


def tanh_step_backward(dh, dy, y, dp):
    """One step of :func:`tinygrad_sgd.kernels.recurrent.rnn_backward` (tanh):
    dp = (dh + dy)·(1 − y²)."""
    _tanh_step(dh, dy, y, dp, y.dtype.type(1))
