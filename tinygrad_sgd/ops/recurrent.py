"""Fused recurrent cells: one graph node per time step for the elementwise part of an LSTM or a
GRU step, as torch's ``_thnn_fused_lstm_cell`` / ``_thnn_fused_gru_cell``; and whole layers
(``LSTMLayerOp``, ``GRULayerOp``, ``RNNLayerOp``, at the end): one node for all the time steps
of one layer and direction, the steps' loop a kernel (:mod:`..kernels.recurrent`), which
``nn.LSTM``/``GRU``/``RNN`` use; their ``create_graph`` backward unrolls the steps into the
cells below (:func:`unrolled_layer`).

The matrix products stay outside (``nn.rnn`` computes ``a = W_ih x + b_ih`` for all steps in one
matmul and ``b = W_hh h + b_hh`` per step with ``linear``); a cell op takes both products
separately, as torch's fused cells do: their sum is formed inside (no Add node per step), and
the gradient of both is the same gate gradient. Composed from ~15 small ops per step, an RNN's
time is Python overhead per node; fused, a step is a product and one node.

Each first-order backward is a NumPy computation in a node of its own (``LSTMCellGrad``,
``GRUCellGrad``) whose backward is written with Tensor operations, so second (and higher)
order gradients work as for any op. The forward and first-order formulas keep the association
order of the composed ops they replace, so the numbers are those of the unfused graph.

An op has one output; the LSTM cell returns ``stack([h', c'])`` (shape (2, B, H)) and the layer
takes ``[0]`` and ``[1]`` of it (views). A gradient node returns its gradients flattened one
after the other in one array, and the cell's backward takes them apart with slices and reshapes
(views): each piece is then contiguous, so a bias gradient (the sum over the batch of the
gradient of ``b``) is computed exactly as for the unfused graph.
"""
import math

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..errors import ShapeError
from ..kernels import recurrent as layer_kernels
from ..kernels.elementwise import sum_to_shape
from ..kernels.vecmath import sigmoid_array, sigmoid_backward_array, tanh, tanh_backward_array

__all__ = ["LSTMCellOp", "LSTMCellGrad", "GRUCellOp", "GRUCellGrad", "LSTMLayerOp", "GRULayerOp",
           "RNNLayerOp"]


def _check_shapes(op, gates, a, b, state):
    """The products a, b must be (B, gates·H) for a state (B, H), as torch's fused cells ask."""
    want = (state.shape[0], gates * state.shape[-1]) if state.ndim == 2 else None
    if want is None or a.shape != want or b.shape != want:
        raise ShapeError(f"{op}: the gate inputs must be (batch, {gates}·hidden) for a state "
                         f"(batch, hidden); got {tuple(a.shape)} and {tuple(b.shape)} for a "
                         f"state {tuple(state.shape)}")


def _flat(*shapes, dtype):
    """One flat buffer and a C-contiguous view of it per shape, laid out one after the other."""
    buf = np.empty(sum(math.prod(s) for s in shapes), dtype)
    views, at = [], 0
    for s in shapes:
        n = math.prod(s)
        views.append(buf[at:at + n].reshape(s))
        at += n
    return buf, views


def _unflat(d, *shapes):
    """The pieces of a flat gradient ``d`` laid out as :func:`_flat` lays them: slices and
    reshapes of ``d`` (graph views, differentiable) — or, outside ``create_graph``, where they
    would record nothing, the same views of its array wrapped directly (saving two nodes'
    Python cost per piece and step)."""
    out, at = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(d[at:at + n].reshape(s) if is_grad_enabled() else
                   Function.constant(d.array[at:at + n].reshape(s)))
        at += n
    return out


def _sd(s):
    """σ'(x) written with s = σ(x): s·(1 − s)."""
    return s * (1 - s)


class LSTMCellOp(Function):
    """One LSTM step after its products: with the gate pre-activations p = a + b, torch's gate
    order i, f, g, o (each of width H) and the previous cell state c,

        i, f, g, o = σ(p_i), σ(p_f), tanh(p_g), σ(p_o)
        c' = f·c + i·g ;  h' = o·tanh(c') ;  z = stack([h', c'])

    Backward (g_h, g_c the two halves of the incoming gradient, t = tanh(c')):
    d_c' = g_c + g_h·o·(1 − t²);  dL/dp = [d_c'·g·σ'_i, d_c'·c·σ'_f, d_c'·i·(1 − g²),
    g_h·t·σ'_o] (σ'_i = i·(1 − i), ...) for a and b alike;  dL/dc = d_c'·f."""
    inputs = ("a", "b", "c")
    rule = "i,f,g,o = σ,σ,tanh,σ(a + b); c' = f·c + i·g; h' = o·tanh(c'); z = [h', c']"
    derivatives = ("dL/da = [d_c'·g·σ'_i, d_c'·c·σ'_f, d_c'·i·(1−g²), g_h·tanh(c')·σ'_o]",
                   "dL/db = dL/da", "dL/dc = d_c'·f,  d_c' = g_c + g_h·o·(1 − tanh²(c'))")
    grad_fn_name, op_name = "ThnnFusedLstmCellBackward", "_thnn_fused_lstm_cell"

    def forward(self, a, b, c):
        _check_shapes("_thnn_fused_lstm_cell", 4, a, b, c)
        p = a.array + b.array
        hid = c.shape[-1]
        act = np.empty_like(p)               # the activated gates, kept for backward
        i, f, g, o = (act[:, k * hid:(k + 1) * hid] for k in range(4))
        i[...], f[...] = sigmoid_array(p[:, :hid]), sigmoid_array(p[:, hid:2 * hid])
        g[...], o[...] = tanh(p[:, 2 * hid:3 * hid]), sigmoid_array(p[:, 3 * hid:])
        out = np.empty((2,) + c.shape, p.dtype)
        out[1] = f * c.array + i * g
        t = tanh(out[1])
        np.multiply(o, t, out=out[0])
        self.save_for_backward(a, b, c)
        if self._recording:
            self.keep_array("act", act)
            self.keep_array("tanh_c", t)
        return out

    def backward(self, grad):
        a, b, c = self.saved_tensors
        d = LSTMCellGrad.apply(grad, a, b, c, self.kept_array("act"),
                               self.kept_array("tanh_c"))
        dp, dc = _unflat(d, a.shape, c.shape)
        need = self.needs_input_grad
        return dp if need[0] else None, dp if need[1] else None, dc if need[2] else None


class LSTMCellGrad(Function):
    """The LSTM cell's backward as a node: dL/dp and dL/dc flattened into one array (formulas in
    :class:`LSTMCellOp`) from the incoming gradient G = [g_h, g_c] and the cell's inputs (the
    activations saved by the cell's forward are passed along). Its own backward, for an
    incoming U = [u_i, u_f, u_g, u_o, u_c], differentiates those formulas (u_d: w.r.t. d_c';
    ū_x: w.r.t. the activated gate x; s' = s(1 − s)):

        u_d = u_c·f + u_i·g·i' + u_f·c·f' + u_g·i·(1−g²) ;  u_t = u_o·g_h·o' − 2·u_d·g_h·o·t
        u_c' = u_t·(1 − t²) ;  dL/dg_h = u_o·t·o' + u_d·o·(1 − t²) ;  dL/dg_c = u_d
        ū_i = d_c'·(u_g·(1−g²) + u_i·g·(1−2i)) + u_c'·g ;  ū_f = d_c'·(u_c + u_f·c·(1−2f)) + u_c'·c
        ū_g = d_c'·(u_i·i' − 2·u_g·g·i) + u_c'·i ;  ū_o = g_h·(u_o·t·(1−2o) + u_d·(1 − t²))
        dL/da = dL/db = [ū_i·i', ū_f·f', ū_g·(1−g²), ū_o·o'] ;  dL/dc = u_f·d_c'·f' + u_c'·f"""
    inputs = ("G", "a", "b", "c")
    rule = "z = [dL/dp, dL/dc] of the LSTM cell (see LSTMCellOp)"
    derivatives = ("dL/dG = [u_o·t·o' + u_d·o·(1−t²), u_d]",
                   "dL/da = [ū_i·i', ū_f·f', ū_g·(1−g²), ū_o·o']", "dL/db = dL/da",
                   "dL/dc = u_f·d_c'·f' + u_c'·f")
    op_name = "_thnn_fused_lstm_cell_backward"

    def forward(self, grad, a, b, c, act, tanh_c):
        gh, gc = grad.array
        hid = c.shape[-1]
        i, f, g, o = (act[:, k * hid:(k + 1) * hid] for k in range(4))
        t = tanh_c
        # (the composed ops' steps, each as torch's sigmoid and tanh backward: the same numbers)
        dc2 = gc + tanh_backward_array(gh * o, t)
        out, (dp, dc) = _flat(a.shape, c.shape, dtype=act.dtype)
        dp[:, :hid] = sigmoid_backward_array(dc2 * g, i)
        dp[:, hid:2 * hid] = sigmoid_backward_array(dc2 * c.array, f)
        dp[:, 2 * hid:3 * hid] = tanh_backward_array(dc2 * i, g)
        dp[:, 3 * hid:] = sigmoid_backward_array(gh * t, o)
        np.multiply(dc2, f, out=dc)
        self.save_for_backward(grad, a, b, c)
        return out

    def backward(self, u):
        from ..functions import cat, stack
        grad, a, b, c = self.saved_tensors
        gh, gc = grad[0], grad[1]
        pi, pf, pg, po = (a + b).chunk(4, 1)
        i, f, g, o = pi.sigmoid(), pf.sigmoid(), pg.tanh(), po.sigmoid()
        di, df, dg, do = _sd(i), _sd(f), 1 - g * g, _sd(o)
        t = (f * c + i * g).tanh()
        dt = 1 - t * t
        dc2 = gc + gh * o * dt
        up, uc = _unflat(u, a.shape, c.shape)
        ui, uf, ug, uo = up.chunk(4, 1)
        ud = uc * f + ui * g * di + uf * c * df + ug * i * dg
        uc2 = (uo * gh * do - 2 * ud * gh * o * t) * dt
        bar_i = dc2 * (ug * dg + ui * g * (1 - 2 * i)) + uc2 * g
        bar_f = dc2 * (uc + uf * c * (1 - 2 * f)) + uc2 * c
        bar_g = dc2 * (ui * di - 2 * ug * g * i) + uc2 * i
        bar_o = gh * (uo * t * (1 - 2 * o) + ud * dt)
        dp = cat([bar_i * di, bar_f * df, bar_g * dg, bar_o * do], 1)
        need = self.needs_input_grad
        return (stack([uo * t * do + ud * o * dt, ud]) if need[0] else None,
                dp if need[1] else None, dp if need[2] else None,
                uf * dc2 * df + uc2 * f if need[3] else None)


class GRUCellOp(Function):
    """One GRU step after its products (torch's variant: b includes b_hn, inside the reset):
    with gate order r, z, n (each of width H) and the previous state h,

        r = σ(a_r + b_r) ;  z = σ(a_z + b_z) ;  n = tanh(a_n + r·b_n)
        h' = (1 − z)·n + z·h  (computed as (h − n)·z + n)

    Backward (g the incoming gradient): d_n = g·(1 − z)·(1 − n²);  d_r = d_n·b_n·σ'_r;
    d_z = g·(h − n)·σ'_z;  dL/da = [d_r, d_z, d_n];  dL/db = [d_r, d_z, d_n·r];  dL/dh = g·z."""
    inputs = ("a", "b", "h")
    rule = "r,z = σ(a_r+b_r), σ(a_z+b_z); n = tanh(a_n + r·b_n); h' = (1−z)·n + z·h"
    derivatives = ("dL/da = [d_n·b_n·σ'_r, g·(h−n)·σ'_z, d_n],  d_n = g·(1−z)·(1−n²)",
                   "dL/db = [d_n·b_n·σ'_r, g·(h−n)·σ'_z, d_n·r]", "dL/dh = g·z")
    grad_fn_name, op_name = "ThnnFusedGruCellBackward", "_thnn_fused_gru_cell"

    def forward(self, a, b, h):
        _check_shapes("_thnn_fused_gru_cell", 3, a, b, h)
        hid = h.shape[-1]
        x, y = a.array, b.array
        act = np.empty((h.shape[0], 3 * hid), x.dtype)   # r, z, n: kept for backward
        r, z, n = (act[:, k * hid:(k + 1) * hid] for k in range(3))
        r[...] = sigmoid_array(x[:, :hid] + y[:, :hid])
        z[...] = sigmoid_array(x[:, hid:2 * hid] + y[:, hid:2 * hid])
        n[...] = tanh(x[:, 2 * hid:] + r * y[:, 2 * hid:])
        self.save_for_backward(a, b, h)
        if self._recording:
            self.keep_array("act", act)
        return (h.array - n) * z + n

    def backward(self, grad):
        a, b, h = self.saved_tensors
        d = GRUCellGrad.apply(grad, a, b, h, self.kept_array("act"))
        da, db, dh = _unflat(d, a.shape, b.shape, h.shape)
        need = self.needs_input_grad
        return da if need[0] else None, db if need[1] else None, dh if need[2] else None


class GRUCellGrad(Function):
    """The GRU cell's backward as a node: dL/da, dL/db, dL/dh flattened into one array (formulas in
    :class:`GRUCellOp`) from the incoming gradient g and the cell's inputs (the activations
    saved by the cell's forward are passed along). Its own backward, for an incoming
    U = [u_ar, u_az, u_an, u_br, u_bz, u_bn, u_h] (u_r = u_ar + u_br, u_z = u_az + u_bz;
    ū_x: w.r.t. the activated gate x; s' = s(1 − s); d_n' = g·(1 − z), d_z' = g·(h − n)):

        w_n = u_an + u_bn·r + u_r·r'·b_n ;  w_z = u_z·z' ;  w_dn = w_n·(1 − n²)
        ū_n = −2·w_n·d_n'·n − w_z·g ;  ū_a = ū_n·(1 − n²)
        ū_r = u_bn·d_n + u_r·d_n·b_n·(1 − 2r) + ū_a·b_n ;  ū_z = u_h·g + u_z·d_z'·(1 − 2z) − w_dn·g
        dL/dg = u_h·z + w_z·(h − n) + w_dn·(1 − z) ;  dL/dh = w_z·g
        dL/da = [ū_r·r', ū_z·z', ū_a] ;  dL/db = [ū_r·r', ū_z·z', u_r·r'·d_n + ū_a·r]"""
    inputs = ("g", "a", "b", "h")
    rule = "z = [dL/da, dL/db, dL/dh] of the GRU cell (see GRUCellOp)"
    derivatives = ("dL/dg = u_h·z + w_z·(h − n) + w_dn·(1 − z)",
                   "dL/da = [ū_r·r', ū_z·z', ū_a]", "dL/db = [ū_r·r', ū_z·z', u_r·r'·d_n + ū_a·r]",
                   "dL/dh = w_z·g")
    op_name = "_thnn_fused_gru_cell_backward"

    def forward(self, grad, a, b, h, act):
        hid = h.shape[-1]
        g, bn = grad.array, b.array[:, 2 * hid:]
        r, z, n = (act[:, k * hid:(k + 1) * hid] for k in range(3))
        # (the composed ops' steps, each as torch's sigmoid and tanh backward: the same numbers)
        dn = tanh_backward_array(g - g * z, n)
        dr = sigmoid_backward_array(dn * bn, r)
        dz = sigmoid_backward_array(g * (h.array - n), z)
        out, (da, db, dh) = _flat(a.shape, b.shape, h.shape, dtype=act.dtype)
        da[:, :hid] = db[:, :hid] = dr
        da[:, hid:2 * hid] = db[:, hid:2 * hid] = dz
        da[:, 2 * hid:] = dn
        np.multiply(dn, r, out=db[:, 2 * hid:])
        np.multiply(g, z, out=dh)
        self.save_for_backward(grad, a, b, h)
        return out

    def backward(self, u):
        from ..functions import cat
        g, a, b, h = self.saved_tensors
        (ar, az, an), (br, bz, bn) = a.chunk(3, 1), b.chunk(3, 1)
        r, z = (ar + br).sigmoid(), (az + bz).sigmoid()
        n = (an + r * bn).tanh()
        dr, dz, dn2 = _sd(r), _sd(z), 1 - n * n
        dn = g * (1 - z) * dn2                       # the first-order d_n
        ua, ub, uh = _unflat(u, a.shape, b.shape, h.shape)
        (uar, uaz, uan), (ubr, ubz, ubn) = ua.chunk(3, 1), ub.chunk(3, 1)
        ur, uz = uar + ubr, uaz + ubz
        wn = uan + ubn * r + ur * dr * bn
        wz = uz * dz
        wdn = wn * dn2
        bar_a = (-2 * wn * g * (1 - z) * n - wz * g) * dn2
        bar_r = ubn * dn + ur * dn * bn * (1 - 2 * r) + bar_a * bn
        bar_z = uh * g + uz * g * (h - n) * (1 - 2 * z) - wdn * g
        need, rz = self.needs_input_grad, [bar_r * dr, bar_z * dz]
        return (uh * z + wz * (h - n) + wdn * (1 - z) if need[0] else None,
                cat(rz + [bar_a], 1) if need[1] else None,
                cat(rz + [ur * dr * dn + bar_a * r], 1) if need[2] else None,
                wz * g if need[3] else None)


# ------------------------------------------------------------------ whole layers
class _LayerOp(Function):
    """What the layer ops share. A layer op runs one layer and direction of a recurrent network
    over a whole sequence in one node — the loop over time steps is a kernel
    (:mod:`..kernels.recurrent`) — and returns the rows [Y; h_n] (LSTM: [Y; h_n; c_n]): Y (N, H)
    the outputs in the packed layout (``batch_sizes[t]`` rows at step t, ``reverse``: run from
    the last step), h_n (and c_n) (B, H) the final states. Its inputs: ``gi`` (N, gates·H) =
    x·W_ihᵀ + b_ih for all steps, W_hh, b_hh (or None), the initial state(s) (B, H).

    Backward in a plain ``backward()`` is the kernel's, on arrays: per step (in reverse) the
    cell's backward and dL/dh_prev = dP_t·W_hh; then dL/dW_hh = Σ_t dP_tᵀ·h_prev,t as one product
    and dL/db_hh = Σ over rows of dP, dL/dgi = dP (GRU: the input side's own dA). Under
    ``create_graph`` the steps are unrolled again as graph nodes (the fused cell ops, which
    are differentiable to any order) from the saved inputs and differentiated with
    ``autograd.grad(create_graph=True)``: the same gradients, themselves differentiable."""
    gates = 1

    def _forward(self, gi, w_hh, b_hh, states, batch_sizes, reverse, **options):
        hid = states[0].shape[-1]
        if gi.ndim != 2 or gi.shape[1] != self.gates * hid or w_hh.shape != (self.gates * hid, hid):
            raise ShapeError(f"{self.op_name}: the input projections must be (steps·batch, "
                             f"{self.gates}·hidden) and W_hh ({self.gates}·hidden, hidden) for a "
                             f"state (batch, hidden); got {tuple(gi.shape)}, "
                             f"{tuple(w_hh.shape)} for {tuple(states[0].shape)}")
        self.batch_sizes, self.reverse, self.options = list(batch_sizes), reverse, options
        out, saved = self.run(gi.array, w_hh.array, None if b_hh is None else b_hh.array,
                              *[s.array for s in states])
        self.save_for_backward(gi, w_hh, b_hh, *states)
        if self._recording:
            for name, array in saved.items():
                self.keep_array(name, array)
        return out

    def backward(self, grad):
        need = self.needs_input_grad
        if is_grad_enabled():
            return self._unrolled_backward(grad)
        w_hh = self.saved_tensors_if(False, True)[1]
        saved = {name: self.kept_array(name) for name in self.kept_names}
        d_gi, d_hidden, d_states, d_w = self.run_backward(grad.array, w_hh.array, saved,
                                                          need_w=need[1])
        grads = [d_gi, d_w, sum_to_shape(d_hidden, (d_hidden.shape[1],)) if need[2] else None,
                 *d_states]
        return tuple(self.constant(g) if n and g is not None else None
                     for g, n in zip(grads, need))

    def _unrolled_backward(self, grad):
        from ..autograd import enable_grad, grad as autograd_grad
        inputs = self.saved_tensors
        want = [i for i, n in enumerate(self.needs_input_grad) if n]
        with enable_grad():
            out = unrolled_layer(self.mode, *inputs, batch_sizes=self.batch_sizes,
                                 reverse=self.reverse, **self.options)
        got = dict(zip(want, autograd_grad(out, [inputs[i] for i in want], grad_outputs=grad,
                                           create_graph=True, allow_unused=True)))
        return tuple(got.get(i) for i in range(len(inputs)))


class LSTMLayerOp(_LayerOp):
    """One LSTM layer (no projection) over a sequence (see :class:`_LayerOp`): per step t, from
    the previous states h, c (the first rows: ``batch_sizes[t]``),

        p = gi_t + (h·W_hhᵀ + b_hh) ;  (h', c') = LSTMCellOp(p) ;  Y_t = h'

    Backward per step (t from the last): g_h = dL/dY_t + dL/dh', then the cell's
    (:class:`LSTMCellOp`): dP_t = dL/dp, dL/dc = d_c'·f;  dL/dh = dP_t·W_hh. Then
    dL/dgi = dP;  dL/dW_hh = dPᵀ·H_prev;  dL/db_hh = Σ_rows dP;  dL/dh0, dL/dc0 what is left."""
    inputs = ("gi", "W_hh", "b_hh", "h0", "c0")
    rule = "Y_t, h_t, c_t = LSTM cell(gi_t + W_hh·h_{t−1} + b_hh, c_{t−1}); z = [Y; h_n; c_n]"
    derivatives = ("dL/dgi = dP (per step the cell's dL/dp)", "dL/dW_hh = dPᵀ·H_prev",
                   "dL/db_hh = Σ_rows dP", "dL/dh0 = dP_0·W_hh", "dL/dc0 = d_c'·f at step 0")
    grad_fn_name, op_name, mode, gates = "LSTMLayerBackward", "lstm_layer", "LSTM", 4
    kept_names = ("h_prev", "c_prev", "act", "tanh_c")

    def forward(self, gi, w_hh, b_hh, h0, c0, batch_sizes, reverse):
        return self._forward(gi, w_hh, b_hh, (h0, c0), batch_sizes, reverse)

    def run(self, gi, w_hh, b_hh, h0, c0):
        return layer_kernels.lstm_forward(gi, w_hh, b_hh, h0, c0, self.batch_sizes, self.reverse)

    def run_backward(self, grad, w_hh, saved, need_w):
        d_p, dh, dc, d_w = layer_kernels.lstm_backward(grad, w_hh, saved, self.batch_sizes,
                                                       self.reverse, need_w)
        return d_p, d_p, [dh, dc], d_w


class GRULayerOp(_LayerOp):
    """One GRU layer over a sequence (see :class:`_LayerOp`): per step t, from the previous
    state h (its first ``batch_sizes[t]`` rows),

        b_t = h·W_hhᵀ + b_hh ;  h' = GRUCellOp(gi_t, b_t, h) ;  Y_t = h'

    Backward per step (t from the last): g = dL/dY_t + dL/dh', the cell's dL/da, dL/db, dL/dh
    (:class:`GRUCellOp`); dA_t = dL/da, dB_t = dL/db;  dL/dh = g·z + dB_t·W_hh. Then
    dL/dgi = dA;  dL/dW_hh = dBᵀ·H_prev;  dL/db_hh = Σ_rows dB;  dL/dh0 what is left."""
    inputs = ("gi", "W_hh", "b_hh", "h0")
    rule = "Y_t, h_t = GRU cell(gi_t, W_hh·h_{t−1} + b_hh, h_{t−1}); z = [Y; h_n]"
    derivatives = ("dL/dgi = dA (per step the cell's dL/da)", "dL/dW_hh = dBᵀ·H_prev",
                   "dL/db_hh = Σ_rows dB", "dL/dh0 = g·z + dB_0·W_hh at step 0")
    grad_fn_name, op_name, mode, gates = "GRULayerBackward", "gru_layer", "GRU", 3
    kept_names = ("h_prev", "hidden", "act")

    def forward(self, gi, w_hh, b_hh, h0, batch_sizes, reverse):
        return self._forward(gi, w_hh, b_hh, (h0,), batch_sizes, reverse)

    def run(self, gi, w_hh, b_hh, h0):
        return layer_kernels.gru_forward(gi, w_hh, b_hh, h0, self.batch_sizes, self.reverse)

    def run_backward(self, grad, w_hh, saved, need_w):
        d_a, d_b, dh, d_w = layer_kernels.gru_backward(grad, w_hh, saved, self.batch_sizes,
                                                       self.reverse, need_w)
        return d_a, d_b, [dh], d_w


class RNNLayerOp(_LayerOp):
    """One Elman RNN layer over a sequence (see :class:`_LayerOp`): per step t,

        h' = act(gi_t + (h·W_hhᵀ + b_hh)) ;  Y_t = h'   (act: tanh, or relu with ``relu=True``)

    Backward per step (t from the last): g = dL/dY_t + dL/dh';  dP_t = g·(1 − h'²) (relu:
    g where h' ≠ 0);  dL/dh = dP_t·W_hh. Then dL/dgi = dP;  dL/dW_hh = dPᵀ·H_prev;
    dL/db_hh = Σ_rows dP;  dL/dh0 what is left."""
    inputs = ("gi", "W_hh", "b_hh", "h0")
    rule = "Y_t, h_t = act(gi_t + W_hh·h_{t−1} + b_hh); z = [Y; h_n]"
    derivatives = ("dL/dgi = dP, dP_t = g_t·act'(·)", "dL/dW_hh = dPᵀ·H_prev",
                   "dL/db_hh = Σ_rows dP", "dL/dh0 = dP_0·W_hh")
    grad_fn_name, op_name, mode = "RNNLayerBackward", "rnn_layer", "RNN"
    kept_names = ("h_prev", "out")

    def forward(self, gi, w_hh, b_hh, h0, batch_sizes, reverse, relu=False):
        return self._forward(gi, w_hh, b_hh, (h0,), batch_sizes, reverse, relu=relu)

    def run(self, gi, w_hh, b_hh, h0):
        return layer_kernels.rnn_forward(gi, w_hh, b_hh, h0, self.batch_sizes, self.reverse,
                                         self.options["relu"])

    def run_backward(self, grad, w_hh, saved, need_w):
        d_p, dh, d_w = layer_kernels.rnn_backward(grad, w_hh, saved, self.batch_sizes,
                                                  self.reverse, self.options["relu"], need_w)
        return d_p, d_p, [dh], d_w


def unrolled_layer(mode, gi, w_hh, b_hh, *states, batch_sizes, reverse, relu=False):
    """The layer ops' rows [Y; h_n(; c_n)] as a graph of one step's nodes per time step — a
    linear node and the fused cell (or an add and tanh/relu) — differentiable to any order: the
    layer ops' ``create_graph`` backward, and the reference they are tested against."""
    from ..functions import cat
    from .linalg import LinearOp
    steps = layer_kernels.step_rows(batch_sizes, reverse)
    state, ended, outs = [s[:steps[0][1]] for s in states], [], []
    for at, b in steps:
        if b < state[0].shape[0]:                 # forward: rows whose sequence has ended
            ended, state = ended + [[s[b:] for s in state]], [s[:b] for s in state]
        elif b > state[0].shape[0]:               # reverse: rows whose sequence starts
            state = [cat([s, s0[s.shape[0]:b]], 0) for s, s0 in zip(state, states)]
        x = gi[at:at + b]
        hp = LinearOp.apply(state[0], w_hh, b_hh)
        if mode == "LSTM":
            hc = LSTMCellOp.apply(x, hp, state[1])
            state = [hc[0], hc[1]]
        elif mode == "GRU":
            state = [GRUCellOp.apply(x, hp, state[0])]
        else:
            pre = x + hp
            state = [pre.relu() if relu else pre.tanh()]
        outs.append(state[0])
    if reverse:
        outs.reverse()
    if ended:
        state = [cat([s] + [e[i] for e in reversed(ended)], 0) for i, s in enumerate(state)]
    return cat(outs + state, 0)
