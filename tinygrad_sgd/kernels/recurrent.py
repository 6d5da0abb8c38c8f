"""Recurrent layers over a whole sequence: the loop over time steps of one layer and direction
of an RNN, LSTM or GRU, forward and backward, on arrays (the ops in :mod:`..ops.recurrent`
call these; the formulas are in their docstrings).

Why a kernel: unrolled into graph nodes, a step of a small LSTM is a product of 40 µs and
~250 µs of Python (a linear node, the fused cell node, two views, the walk's bookkeeping and,
in backward, a weight-gradient product and a bias sum per step). Here a step is the product and
the cell's elementwise arrays, nothing else; the backward makes the weight gradient of all steps
in one product ``dPᵀ·H_prev`` and the bias gradient in one column sum, as torch's layers do.

Every step computes what the fused cell op (:class:`..ops.recurrent.LSTMCellOp`,
``GRUCellOp``) computes, with the same kernels in the same order, so outputs and the gradients
of the inputs, of ``h0``/``c0`` and of the input projections are those of the unrolled graph
bit for bit (in the GRU and RNN a state's gradient is the sum of three parts, which the walk may
add in another order); the weight and bias gradients are one product and one sum instead of one
per step summed (float rounding apart, the same).

The sequence is in the packed layout (see :mod:`..nn.rnn`): ``batch_sizes[t]`` rows at step
t, rows ``offsets[t]:offsets[t + 1]`` of the inputs. The state is one (B, H) array of which
step t updates the first ``batch_sizes[t]`` rows — going forward the batch shrinks and the rows
left behind keep their final state, going in reverse it grows and new rows start from
``h0``: the same code for both directions, for padded and packed sequences.
"""
import numpy as np

from . import buffers, elementwise, linalg
from .backend import compiled
from .vecmath import exp, fma, sigmoid_array, sigmoid_backward_array, tanh, tanh_backward_array

__all__ = ["step_rows", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
           "rnn_forward", "rnn_backward"]


def step_rows(batch_sizes, reverse):
    """[(first row, batch size)] of the steps in the order they run."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)]).astype(int).tolist()
    steps = [(offsets[t], int(batch_sizes[t])) for t in range(len(batch_sizes))]
    return steps[::-1] if reverse else steps


def _hidden_product(h, w_hh, b_hh):
    """h·W_hhᵀ + b_hh, as the ``linear`` op makes it (its kernels: the same numbers)."""
    out = linalg.matmul(h, w_hh.T)
    if b_hh is not None:
        elementwise.add_rows(out, b_hh)
    return out


def _state_grad(dh, w_hh, dp):
    """dL/dh_prev = dh + dp·W_hh (the linear's dL/dx added to what the state gets directly)."""
    return linalg.matmul(dp, w_hh) if dh is None else dh + linalg.matmul(dp, w_hh)


# ------------------------------------------------------------------ LSTM
def _compiled_steps(*arrays):
    """The compiled backward steps (:mod:`.compiled.recurrent`) when the numba kernels are on
    and the arrays are float32 or float64 of one dtype, else None (the NumPy steps here)."""
    fast = compiled()
    return fast.recurrent if fast is not None and fast.floats(*arrays) else None


def _sigmoid_into(p, out):
    """σ(p) into ``out``: :func:`.vecmath.sigmoid_array`'s steps (e^(−p) as :func:`.vecmath.exp`
    makes it, then 1 / (1 + e) in p's dtype) without its temporaries."""
    e = exp(np.negative(p))
    e += 1
    return np.divide(1, e, out=out)


def lstm_forward(gi, w_hh, b_hh, h0, c0, batch_sizes, reverse):
    """One LSTM layer (no projection) over the sequence: ``(out, saved)`` with ``out`` the
    rows [Y; h_n; c_n] — Y (N, H) the outputs in the packed layout, h_n and c_n (B, H) the final
    states — and ``saved`` what :func:`lstm_backward` reads (the previous states and the
    activated gates of every step, and tanh(c')). σ is taken of all four gates' columns at once
    (one pass instead of three) and g's columns then overwritten with their tanh."""
    n, hid = gi.shape[0], h0.shape[-1]
    big = h0.shape[0]
    out = buffers.empty((n + 2 * big, hid), gi.dtype)
    ys, h, c = out[:n], out[n:n + big], out[n + big:]
    h[...], c[...] = h0, c0
    h_prev, c_prev = buffers.empty((n, hid), gi.dtype), buffers.empty((n, hid), gi.dtype)
    act, tanh_c = buffers.empty((n, 4 * hid), gi.dtype), buffers.empty((n, hid), gi.dtype)
    ig = np.empty((big, hid), gi.dtype)
    for at, b in step_rows(batch_sizes, reverse):
        rows = slice(at, at + b)
        hp, cp = h_prev[rows], c_prev[rows]
        hp[...], cp[...] = h[:b], c[:b]
        p = _hidden_product(hp, w_hh, b_hh)
        p += gi[rows]                                  # (gi + hp: the same sums)
        a = _sigmoid_into(p, act[rows])
        i, f, g, o = (a[:, k * hid:(k + 1) * hid] for k in range(4))
        g[...] = tanh(p[:, 2 * hid:3 * hid])
        np.multiply(f, cp, out=c[:b])
        c[:b] += np.multiply(i, g, out=ig[:b])          # c' = f·c + i·g
        t = tanh_c[rows]
        t[...] = tanh(c[:b])
        np.multiply(o, t, out=ys[rows])
        h[:b] = ys[rows]
    return out, dict(h_prev=h_prev, c_prev=c_prev, act=act, tanh_c=tanh_c)


def lstm_backward(grad, w_hh, saved, batch_sizes, reverse, need_w=True):
    """The gradients ``(dP, dh0, dc0, dW_hh)`` of :func:`lstm_forward` for the incoming
    ``grad`` of its rows [Y; h_n; c_n]: dP (N, 4H) is dL/d(gate pre-activations) of every step
    (the gradient of the input projections ``gi`` and of each step's hidden product; its
    column sums are dL/db_hh), dW_hh = dPᵀ·H_prev (None unless ``need_w``).

    Per step the cell's backward (:class:`..ops.recurrent.LSTMCellGrad`'s arithmetic: torch's
    sigmoid_backward (u·(1 − s))·s and tanh_backward u·(1 − t²)): the tanh derivatives
    1 − t² (one rounding, :func:`.vecmath.fma`) of all steps are made up front in one pass
    each, and the three σ gates' backward in one pass over the four gates' columns (g's then
    overwritten)."""
    h_prev, c_prev, act, tanh_c = (saved[k] for k in ("h_prev", "c_prev", "act", "tanh_c"))
    n, hid = act.shape[0], h_prev.shape[-1]
    big = (grad.shape[0] - n) // 2
    grad = np.ascontiguousarray(grad)
    dh, dc = grad[n:n + big].copy(), grad[n + big:].copy()
    d_p = buffers.empty(act.shape, act.dtype)
    fast = _compiled_steps(grad, act)
    if fast is None:
        d_t = fma(-tanh_c, tanh_c, 1)                   # 1 − tanh²(c') of every step
        g_all = act[:, 2 * hid:3 * hid]
        d_g = fma(-g_all, g_all, 1)                     # 1 − g² of every step
        up = np.empty((big, 4 * hid), act.dtype)        # the gates' incoming gradients
    for at, b in step_rows(batch_sizes, not reverse):
        rows = slice(at, at + b)
        if fast is not None:                            # (the same arithmetic, one loop)
            fast.lstm_step_backward(dh[:b], grad[rows], dc[:b], act[rows], tanh_c[rows],
                                    c_prev[rows], d_p[rows])
            dh[:b] = linalg.matmul(d_p[rows], w_hh)
            continue
        gh = dh[:b] + grad[rows]
        a, t = act[rows], tanh_c[rows]
        i, f, g, o = (a[:, k * hid:(k + 1) * hid] for k in range(4))
        dc2 = gh * o
        dc2 *= d_t[rows]
        dc2 += dc[:b]                                   # d_c' = g_c + (g_h·o)·(1 − t²)
        u = up[:b]
        np.multiply(dc2, g, out=u[:, :hid])
        np.multiply(dc2, c_prev[rows], out=u[:, hid:2 * hid])
        np.multiply(dc2, i, out=u[:, 2 * hid:3 * hid])
        np.multiply(gh, t, out=u[:, 3 * hid:])
        dp = np.subtract(1, a, out=d_p[rows])
        dp *= u
        dp *= a                                         # (u·(1 − s))·s
        np.multiply(u[:, 2 * hid:3 * hid], d_g[rows], out=dp[:, 2 * hid:3 * hid])
        np.multiply(dc2, f, out=dc[:b])
        dh[:b] = linalg.matmul(dp, w_hh)
    return d_p, dh, dc, (linalg.matmul(d_p.T, h_prev) if need_w else None)


# ------------------------------------------------------------------ GRU
def _one_state_outputs(gi, h0):
    """For a layer with one state (GRU, Elman RNN): ``out`` (its rows [Y; h_n]), the views
    ``ys`` and ``h`` (the running state, starting at h0) of it, and ``h_prev`` (N, H), where
    each step keeps the state it started from."""
    n, hid, big = gi.shape[0], h0.shape[-1], h0.shape[0]
    out = buffers.empty((n + big, hid), gi.dtype)
    ys, h = out[:n], out[n:]
    h[...] = h0
    return out, ys, h, buffers.empty((n, hid), gi.dtype)


def gru_forward(gi, w_hh, b_hh, h0, batch_sizes, reverse):
    """One GRU layer over the sequence: ``(out, saved)``, ``out`` the rows [Y; h_n], ``saved``
    the previous states, the hidden products and the activated gates r, z, n of every step."""
    n, hid = gi.shape[0], h0.shape[-1]
    out, ys, h, h_prev = _one_state_outputs(gi, h0)
    hidden, act = buffers.empty((n, 3 * hid), gi.dtype), buffers.empty((n, 3 * hid), gi.dtype)
    for at, b in step_rows(batch_sizes, reverse):
        rows = slice(at, at + b)
        hp = h_prev[rows]
        hp[...] = h[:b]
        x, y = gi[rows], hidden[rows]
        y[...] = _hidden_product(hp, w_hh, b_hh)
        a = act[rows]
        r, z, nn = (a[:, k * hid:(k + 1) * hid] for k in range(3))
        r[...] = sigmoid_array(x[:, :hid] + y[:, :hid])
        z[...] = sigmoid_array(x[:, hid:2 * hid] + y[:, hid:2 * hid])
        nn[...] = tanh(x[:, 2 * hid:] + r * y[:, 2 * hid:])
        ys[rows] = (hp - nn) * z + nn
        h[:b] = ys[rows]
    return out, dict(h_prev=h_prev, hidden=hidden, act=act)


def gru_backward(grad, w_hh, saved, batch_sizes, reverse, need_w=True):
    """The gradients ``(dA, dB, dh0, dW_hh)`` of :func:`gru_forward` for the incoming ``grad`` of
    its rows [Y; h_n]: dA (N, 3H) of the input projections, dB (N, 3H) of the hidden products
    (its column sums are dL/db_hh), dW_hh = dBᵀ·H_prev (None unless ``need_w``).

    A state's gradient has three parts: from the output Y_t, from the next step's cell (g·z)
    and from its product (dB·W_hh). They are added in the order the unrolled graph's walk adds
    them, for its bits: (g·z + dY) + dB·W_hh, but where the batch changes size between the
    steps (a packed sequence: there the state went through one slice or concatenation node,
    whose gradient is summed first) (g·z + dB·W_hh) + dY."""
    h_prev, hidden, act = saved["h_prev"], saved["hidden"], saved["act"]
    n, hid = act.shape[0], h_prev.shape[-1]
    grad = np.ascontiguousarray(grad)
    dh = grad[n:].copy()                   # g·z of the step after (h_n's gradient at first)
    lin = None                             # dB·W_hh of the step after
    d_a, d_b = buffers.empty(act.shape, act.dtype), buffers.empty(act.shape, act.dtype)
    fast = _compiled_steps(grad, act)
    for at, b in step_rows(batch_sizes, not reverse):
        rows = slice(at, at + b)
        if lin is not None and lin.shape[0] == b:
            g = (dh[:b] + grad[rows]) + lin
        else:
            if lin is not None:
                dh[:lin.shape[0]] += lin
            g = dh[:b] + grad[rows]
        if fast is not None:                            # (the same arithmetic, one loop)
            fast.gru_step_backward(g, act[rows], hidden[rows], h_prev[rows], d_a[rows],
                                   d_b[rows], dh[:b])
            lin = linalg.matmul(d_b[rows], w_hh)
            continue
        a, bn = act[rows], hidden[rows][:, 2 * hid:]
        r, z, nn = (a[:, k * hid:(k + 1) * hid] for k in range(3))
        dn = tanh_backward_array(g - g * z, nn)
        dr = sigmoid_backward_array(dn * bn, r)
        dz = sigmoid_backward_array(g * (h_prev[rows] - nn), z)
        da, db = d_a[rows], d_b[rows]
        da[:, :hid] = db[:, :hid] = dr
        da[:, hid:2 * hid] = db[:, hid:2 * hid] = dz
        da[:, 2 * hid:] = dn
        np.multiply(dn, r, out=db[:, 2 * hid:])
        np.multiply(g, z, out=dh[:b])
        lin = linalg.matmul(db, w_hh)
    dh[:lin.shape[0]] += lin
    return d_a, d_b, dh, (linalg.matmul(d_b.T, h_prev) if need_w else None)


# ------------------------------------------------------------------ Elman RNN
def rnn_forward(gi, w_hh, b_hh, h0, batch_sizes, reverse, relu):
    """One Elman RNN layer over the sequence: ``(out, saved)``, ``out`` the rows [Y; h_n],
    ``saved`` the previous states (the outputs themselves are the activations)."""
    out, ys, h, h_prev = _one_state_outputs(gi, h0)
    for at, b in step_rows(batch_sizes, reverse):
        rows = slice(at, at + b)
        hp = h_prev[rows]
        hp[...] = h[:b]
        pre = gi[rows] + _hidden_product(hp, w_hh, b_hh)
        ys[rows] = elementwise.relu(pre) if relu else tanh(pre)
        h[:b] = ys[rows]
    return out, dict(h_prev=h_prev, out=out)


def rnn_backward(grad, w_hh, saved, batch_sizes, reverse, relu, need_w=True):
    """The gradients ``(dP, dh0, dW_hh)`` of :func:`rnn_forward` for the incoming ``grad`` of
    its rows [Y; h_n]: dP (N, H) of the pre-activations (of the input projections and of each
    hidden product; its column sums are dL/db_hh), dW_hh = dPᵀ·H_prev."""
    h_prev, ys = saved["h_prev"], saved["out"]
    n = h_prev.shape[0]
    grad = np.ascontiguousarray(grad)
    dh = grad[n:].copy()
    d_p = buffers.empty(h_prev.shape, h_prev.dtype)
    fast = None if relu else _compiled_steps(grad, ys)
    for at, b in step_rows(batch_sizes, not reverse):
        rows = slice(at, at + b)
        if fast is not None:                            # (the same arithmetic, one loop)
            fast.tanh_step_backward(dh[:b], grad[rows], ys[rows], d_p[rows])
        else:
            g = dh[:b] + grad[rows]
            d_p[rows] = (elementwise.keep_where(ys[rows], g) if relu else
                         tanh_backward_array(g, ys[rows]))
        dh[:b] = linalg.matmul(d_p[rows], w_hh)
    return d_p, dh, (linalg.matmul(d_p.T, h_prev) if need_w else None)
