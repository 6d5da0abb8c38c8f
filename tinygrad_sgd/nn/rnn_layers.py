"""The stacked recurrent layers given their weights: what ``torch.lstm``, ``torch.gru``,
``torch.rnn_tanh`` and ``torch.rnn_relu`` compute, and what ``nn.LSTM`` / ``GRU`` / ``RNN`` call
with their flat weights (as torch's modules call ``_VF.lstm``).

:func:`recurrent` checks the arguments as torch does, brings a padded input into the packed
layout (rows of step 0, then of step 1, ...; ``batch_sizes[t]`` rows at step t — a padded batch
is the case of equal batch sizes), and runs the layers: per layer and direction the input
projections ``x·W_ihᵀ + b_ih`` of all time steps are one ``linear``; the recurrence is then one
node, ``ops.LSTMLayerOp`` / ``GRULayerOp`` / ``RNNLayerOp``, whose loop over time steps is a
kernel (``kernels/recurrent.py``). With a projection (``weight_hr``) or in half precision a step
is graph nodes instead (:func:`_unrolled`: a ``linear`` and the fused cell,
``ops.LSTMCellOp`` / ``ops.GRUCellOp``; the RNN's an add and a tanh/relu). Dropout (torch's
draws) goes between layers when ``train``.

``params`` is torch's flat list, per layer and direction (the reverse one second):
``w_ih, w_hh`` then, with ``has_biases``, ``b_ih, b_hh``, then for an LSTM with projections
``w_hr`` — an LSTM has projections when ``h_0`` and ``c_0`` differ in their last size.
"""
import numpy as np

from ..autograd.torch_names import named
from ..errors import DTypeError, ShapeError
from ..functions import cat, dropout as _dropout, stack
from ..ops.recurrent import (GRUCellOp, GRULayerOp, LSTMCellOp, LSTMLayerOp,
                              RNNLayerOp)
from . import functional as F

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_TORCH_DTYPE = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                "float64": "Double"}


# ------------------------------------------------------------------ one step of each cell
def _rnn_step(gi, h, w_hh, b_hh, relu):
    """h' = act(gi + W_hh h + b_hh), gi = W_ih x + b_ih."""
    pre = gi + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr=None):
    """(h', c') of an LSTM cell from gi = W_ih x + b_ih (gates i, f, g, o): one fused node."""
    hc = LSTMCellOp.apply(gi, F.linear(h, w_hh, b_hh), c)
    h, c = hc[0], hc[1]
    return (h if w_hr is None else F.linear(h, w_hr)), c


def _gru_step(gi, h, w_hh, b_hh):
    """h' of a GRU cell from gi = W_ih x + b_ih (gates r, z, n): one fused node."""
    return GRUCellOp.apply(gi, F.linear(h, w_hh, b_hh), h)


# ------------------------------------------------------------------ the layers
def recurrent(mode, input, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
              bidirectional, batch_first=False):
    """(output, final states) of ``num_layers`` stacked layers of ``mode`` (``"LSTM"``,
    ``"GRU"``, ``"RNN_TANH"``, ``"RNN_RELU"``). ``input`` is padded (3-D; ``batch_sizes`` None)
    or packed data (2-D, with ``batch_sizes`` a list of ints); ``hx`` is the tuple of initial
    states, each (layers·directions, batch, size); the output is in the input's layout and the
    final states are a tuple like ``hx``."""
    lstm = mode == "LSTM"
    if lstm and len(hx) != 2:
        raise RuntimeError("lstm expects two hidden states")
    want = 3 if batch_sizes is None else 2
    if input.dim() != want:
        raise RuntimeError(f"input must have {want} dimensions, got {input.dim()}")
    for state in hx:
        if state.dim() != 3:
            raise RuntimeError(f"{mode.lower()}: expected hx to be 3-D (layers * directions, "
                               f"batch, hidden_size), got {state.dim()}-D")
    layers = _layer_weights(mode, hx, params, has_biases, num_layers, bidirectional)
    w_ih = layers[0]["weight_ih"]
    if input.shape[-1] != w_ih.shape[-1]:
        rows = input.shape[0] * (input.shape[1] if batch_sizes is None else 1)
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                         f"and {w_ih.shape[-1]}x{w_ih.shape[0]})")
    if batch_sizes is None:
        if input.size(1 if batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if batch_first:
            input = input.transpose(0, 1)
        steps, batch = input.shape[0], input.shape[1]
        data = input.reshape((steps * batch,) + tuple(input.shape[2:]))
        sizes = [batch] * steps
    else:
        data, sizes = input, _checked_sizes(batch_sizes, input)
    _check_states(hx, sizes[0], layers[0]["weight_hh"])
    _check_gates(mode, layers, hx[-1].shape[2])
    out, finals = _run(mode, data, sizes, hx, layers, num_layers, dropout, train,
                       bidirectional)
    if batch_sizes is not None:
        return named(out, "CatBackward0"), finals          # (torch's: the steps concatenated)
    output = out.reshape((len(sizes), sizes[0], out.shape[-1]))
    if batch_first:
        output = output.transpose(0, 1)
    projected = lstm and "weight_hr" in layers[0]
    return named(output, _torch_output_node(mode, output, batch_first, bidirectional,
                                            projected)), finals


def _layer_weights(mode, hx, params, has_biases, num_layers, bidirectional):
    """``params`` as one dict of weights per layer and direction (``weight_ih``, ...,
    ``weight_hr``), after torch's checks of their number and of the states'."""
    projected = mode == "LSTM" and hx[0].shape[2] != hx[1].shape[2]
    per = (4 if has_biases else 2) + projected
    if len(params) % per:
        raise RuntimeError("got an incorrect number of RNN parameters")
    names = _NAMES[:4 if has_biases else 2] + (("weight_hr",) if projected else ())
    layers = [dict(zip(names, params[i:i + per])) for i in range(0, len(params), per)]
    directions = 2 if bidirectional else 1
    if bidirectional and (len(layers) % 2 or hx[0].shape[0] % 2):
        raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
    if hx[0].shape[0] // directions != num_layers:
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    if len(layers) // directions != num_layers:
        raise RuntimeError("Expected more weights in stacked_rnn")
    return layers


def _check_gates(mode, layers, hidden):
    """(ours: torch's CPU build reaches a broadcast error, or none) W_ih, W_hh of
    gates·hidden rows."""
    gates = GATES[mode]
    for w in layers:
        for name in ("weight_ih", "weight_hh"):
            if w[name].dim() != 2 or w[name].shape[0] != gates * hidden:
                raise RuntimeError(f"{name} first dim must be {gates} * hidden_size = "
                                   f"{gates * hidden}, but got {list(w[name].shape)}")


def _checked_sizes(batch_sizes, data):
    if any(b <= 0 for b in batch_sizes) or list(batch_sizes) != sorted(batch_sizes, reverse=True):
        raise RuntimeError(f"batch_sizes must be positive and non-increasing, got "
                           f"{list(batch_sizes)}")
    if sum(batch_sizes) != data.shape[0]:
        raise RuntimeError(f"batch_sizes sum to {sum(batch_sizes)}, but the packed data has "
                           f"{data.shape[0]} rows")
    return list(batch_sizes)


def _check_states(hx, batch, w_hh):
    """torch's messages (those of its first step's product and sum) for states that do not fit
    the first layer's W_hh or the input's batch."""
    if hx[0].shape[2] != w_hh.shape[1]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({hx[0].shape[1]}x"
                         f"{hx[0].shape[2]} and {w_hh.shape[1]}x{w_hh.shape[0]})")
    for state in hx:
        if state.shape[1] != batch:
            raise RuntimeError(f"The size of tensor a ({state.shape[1]}) must match the size "
                               f"of tensor b ({batch}) at non-singleton dimension 0")
    for state in hx:
        if state.dtype != w_hh.dtype:
            raise DTypeError(f"mat1 and mat2 must have the same dtype, but got "
                             f"{_TORCH_DTYPE.get(state.dtype.name, state.dtype.name)} and "
                             f"{_TORCH_DTYPE.get(w_hh.dtype.name, w_hh.dtype.name)}")


def _run(mode, data, batch_sizes, hx, layers, num_layers, dropout, train, bidirectional):
    directions = 2 if bidirectional else 1
    finals = [[] for _ in hx]
    for layer in range(num_layers):
        outs = []
        for direction in range(directions):
            k = layer * directions + direction
            w = layers[k]
            gi = F.linear(data, w["weight_ih"], w.get("bias_ih"))
            out, last = _scan(mode, gi, batch_sizes, [s[k] for s in hx], w,
                              reverse=direction == 1)
            outs.append(out)
            for store, state in zip(finals, last):
                store.append(state)
        data = outs[0] if directions == 1 else cat(outs, -1)
        if dropout and train and layer < num_layers - 1:
            data = _dropout(data, dropout, True)
    return data, tuple(stack(f, 0) for f in finals)


def _torch_output_node(mode, output, batch_first, bidirectional, projected):
    """The node torch's CPU build gives a padded (not packed) output: its LSTM of float32
    without projections runs oneDNN's fused layer (``MkldnnRnnLayerBackward0``), the
    others stack the steps (``StackBackward0``) or concatenate the two directions
    (``CatBackward0``); ``batch_first`` ends in a transpose, which torch's LSTM and its
    GRU/RNN reach by different overloads."""
    if batch_first:
        return "TransposeBackward0" if mode == "LSTM" else "TransposeBackward1"
    if bidirectional:
        return "CatBackward0"
    if mode == "LSTM" and not projected and output.dtype == np.float32:
        return "MkldnnRnnLayerBackward0"
    return "StackBackward0"


def _scan(mode, gi, batch_sizes, state0, w, reverse):
    """Run one direction of one layer over the packed-layout input projections ``gi``:
    the outputs (packed layout) and the final states. One layer op
    (``ops.LSTMLayerOp``, ``GRULayerOp``, ``RNNLayerOp``: the loop over time steps is a
    kernel) for float32/float64 without projections; else (``weight_hr``, half precision)
    one step's nodes per time step (:func:`_unrolled`)."""
    if "weight_hr" in w or gi.dtype not in (np.float32, np.float64):
        return _unrolled(mode, gi, batch_sizes, state0, w, reverse)
    options = dict(batch_sizes=batch_sizes, reverse=reverse)
    if mode == "LSTM":
        op = LSTMLayerOp
    elif mode == "GRU":
        op = GRULayerOp
    else:
        op, options["relu"] = RNNLayerOp, mode == "RNN_RELU"
    rows = op.apply(gi, w["weight_hh"], w.get("bias_hh"), *state0, **options)
    n, big = gi.shape[0], state0[0].shape[0]
    return rows[:n], [rows[n + k * big:n + (k + 1) * big] for k in range(len(state0))]


def _unrolled(mode, gi, batch_sizes, state0, w, reverse):
    """:func:`_scan` as graph nodes per time step (with ``weight_hr``'s projection after
    each LSTM step)."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)]).tolist()
    steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    state = [s if s.shape[0] == batch_sizes[steps[0]] else s[:batch_sizes[steps[0]]]
             for s in state0]
    outs, ended = [], []
    for t in steps:
        b = batch_sizes[t]
        if b < state[0].shape[0]:
            ended.append([s[b:] for s in state])
            state = [s[:b] for s in state]
        elif b > state[0].shape[0]:
            state = [cat([s, s0[s.shape[0]:b]], 0) for s, s0 in zip(state, state0)]
        x = gi[offsets[t]:offsets[t + 1]] if len(batch_sizes) > 1 else gi
        if mode == "LSTM":
            state = list(_lstm_step(x, *state, w["weight_hh"], w.get("bias_hh"),
                                    w.get("weight_hr")))
        elif mode == "GRU":
            state = [_gru_step(x, state[0], w["weight_hh"], w.get("bias_hh"))]
        else:
            state = [_rnn_step(x, state[0], w["weight_hh"], w.get("bias_hh"),
                               mode == "RNN_RELU")]
        outs.append(state[0])
    if reverse:
        outs.reverse()
    if ended:
        state = [cat([s] + [e[i] for e in reversed(ended)], 0) for i, s in enumerate(state)]
    return (outs[0] if len(outs) == 1 else cat(outs, 0)), state
