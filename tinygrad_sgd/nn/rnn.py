"""Recurrent layers, as ``torch.nn``: RNN (tanh or relu), LSTM (with ``proj_size``), GRU, and
the one-step cells RNNCell, LSTMCell, GRUCell.

Per layer and direction the input projections ``x·W_ihᵀ + b_ih`` of all time steps are one
``linear``; the recurrence (inherent: step t needs step t−1) is then one node,
``ops.LSTMLayerOp`` / ``GRULayerOp`` / ``RNNLayerOp``, whose loop over time steps is a kernel
(``kernels/recurrent.py``; one graph node per op per step cost ~5x the arithmetic in Python),
never a loop over batch items. With ``proj_size`` or in half precision a step is graph nodes
instead (a ``linear`` and the fused cell, ``ops.LSTMCellOp`` / ``ops.GRUCellOp``, as torch's
``_thnn_fused_*_cell``; the RNN's an add and a tanh/relu); the cells use those too. Gradients —
and gradients of gradients — come from the ops' own backward. The cell equations, with torch's
gate order:

* RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)   (or relu)
* LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh) ;  c' = σ(f)·c + σ(i)·tanh(g) ;
        h' = σ(o)·tanh(c')  (then h' = W_hr h' with ``proj_size``)
* GRU:  r, z from σ(W_i· x + b_i· + W_h· h + b_h·) ;
        n = tanh(W_in x + b_in + r·(W_hn h + b_hn)) ;  h' = (h − n)·z + n = (1 − z)·n + z·h

Parameters are named and shaped as torch's (``weight_ih_l0``, ``bias_hh_l1_reverse``,
``weight_hr_l0``), so a torch ``state_dict`` loads as is. A layer's forward makes torch's
checks (and the unbatched and :class:`PackedSequence` cases) and then, as torch's calls
``_VF.lstm``, calls :func:`.rnn_layers.recurrent` — ``torch.lstm``, ``gru``, ``rnn_tanh`` and
``rnn_relu`` — with its flat weights: the step functions and the layer loop live there.

(house: long file — the three layers and the three cells share torch's checks, as in torch's
own ``rnn.py``; split apart they would each repeat half of it.)
"""
import math
import numbers
import warnings

import numpy as np

from ..autograd.torch_names import named
from ..creation import zeros
from ..device import check_device
from ..dtypes import default_float
from ..tensor import Tensor
from . import functional as F
from . import init
from .linear import new_array
from .module import Module, Parameter
from .rnn_layers import GATES as _GATES, _gru_step, _lstm_step, _rnn_step, recurrent
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

def _check_int(value, what):
    if not isinstance(value, int):
        raise TypeError(f"{what} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{what} must be greater than zero")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: torch's arguments and checks, the parameters
    (``weight_ih_l{k}[_reverse]``, ...), their init U(−1/√hidden, 1/√hidden), and the forward
    pass over layers, directions and time steps."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        check_device(device)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for value, what in ((bias, "bias"), (batch_first, "batch_first")):
            if not isinstance(value, bool):
                raise TypeError(f"{what} should be of type bool, got: {type(value).__name__}")
        _check_int(input_size, "input_size")
        _check_int(hidden_size, "hidden_size")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dtype = default_float(dtype)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(2 if bidirectional else 1):
                layer_input = input_size if layer == 0 else real_hidden * (2 if bidirectional
                                                                           else 1)
                shapes = {"weight_ih": (gate_size, layer_input),
                          "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{'_reverse' if direction else ''}"
                    setattr(self, name, Parameter(new_array(shape, dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op, as torch's on the CPU (it packs weights for cuDNN)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---------------------------------------------------------------- checks (torch's)
    def check_input(self, input, batch_sizes):
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got "
                               f"{input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _expected_size(self, input, batch_sizes, size):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    def get_expected_hidden_size(self, input, batch_sizes):
        return self._expected_size(input, batch_sizes, self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # ---------------------------------------------------------------- forward
    def _zeros(self, input, batch, size):
        return zeros(self.num_layers * (2 if self.bidirectional else 1), batch, size,
                     dtype=input.dtype, device=input.device)     # (meta for a meta input)

    def _prepare(self, input, hx):
        """(input — padded 3-D, or the packed data —, batch_sizes (None when padded), hx as a
        tuple of 3-D states, whether batched): torch's order of checks for each mode."""
        lstm, name = self.mode == "LSTM", "RNN" if self.mode.startswith("RNN") else self.mode
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = input.data, [int(b) for b in np.asarray(input.batch_sizes.array)]
            batch = batch_sizes[0]
            if hx is not None and input.sorted_indices is not None:
                hx = _permute(hx, input.sorted_indices)
            input, is_batched = data, True
        else:
            batch_sizes = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                                 + (" tensor instead" if name == "RNN" else " instead"))
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                want = 3 if is_batched else 2
                states = tuple(hx) if lstm else (hx,)
                if any(s.dim() != want for s in states):
                    kind = "batched 3-D" if is_batched else "unbatched 2-D"
                    raise RuntimeError(
                        f"For {kind} input, hx and cx should also be {want}-D but got "
                        f"({states[0].dim()}-D, {states[1].dim()}-D) tensors" if lstm else
                        f"For {kind} input, hx should also be {want}-D but got "
                        f"{hx.dim()}-D tensor")
                if not is_batched:
                    hx = tuple(s.unsqueeze(1) for s in states) if lstm else hx.unsqueeze(1)
            batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            hx = self._zeros(input, batch, self.proj_size or self.hidden_size)
            if lstm:
                hx = (hx, self._zeros(input, batch, self.hidden_size))
        self.check_input(input, batch_sizes)
        if lstm:
            self.check_hidden_size(hx[0], self.get_expected_hidden_size(input, batch_sizes),
                                   "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hx[1], self._expected_size(input, batch_sizes,
                                                              self.hidden_size),
                                   "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx, self.get_expected_hidden_size(input, batch_sizes))
            hx = (hx,)
        for state in hx:
            if state.dtype != input.dtype:
                raise RuntimeError(f"{name}: the hidden state's dtype ({state.dtype}) does not "
                                   f"match the input's ({input.dtype})")
        return input, batch_sizes, hx, is_batched

    def forward(self, input, hx=None):
        orig = input
        data, batch_sizes, hx, is_batched = self._prepare(input, hx)
        output, h_n = recurrent(self.mode, data, batch_sizes, hx, self._flat_weights, self.bias,
                                self.num_layers, self.dropout, self.training,
                                self.bidirectional, self.batch_first)
        if isinstance(orig, PackedSequence):
            if orig.unsorted_indices is not None:
                h_n = _permute(h_n, orig.unsorted_indices)
            output = PackedSequence(output, orig.batch_sizes, orig.sorted_indices,
                                    orig.unsorted_indices)
        elif not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        return output, (h_n if self.mode == "LSTM" else h_n[0])


def _permute(hx, indices):
    """Reorder the batch dim (dim 1) of a state or a tuple of states."""
    if isinstance(hx, Tensor):
        return hx.index_select(1, indices)
    return tuple(h.index_select(1, indices) for h in hx)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (``nonlinearity='relu'``
    for relu), stacked ``num_layers`` deep, optionally bidirectional."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; ``forward(input, (h_0, c_0))`` returns
    ``(output, (h_n, c_n))``. With ``proj_size > 0`` the hidden state is projected
    (``weight_hr``) to ``proj_size`` features."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (torch's variant: the reset gate multiplies W_hn h + b_hn)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# ------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (chunks·hidden, input), ``weight_hh``
    (chunks·hidden, hidden), optional ``bias_ih``/``bias_hh``, U(−1/√hidden, 1/√hidden)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(device)
        dtype = default_float(dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(new_array((num_chunks * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(new_array((num_chunks * hidden_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(new_array((num_chunks * hidden_size,), dtype))
            self.bias_hh = Parameter(new_array((num_chunks * hidden_size,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, states):
        """torch's checks; a 1-D input (and its states) gain a batch dim of 1."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        for i, s in enumerate(states or ()):
            if s.dim() not in (1, 2):
                what = f"hx[{i}]" if name == "LSTMCell" else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D "
                                 f"instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if states is None:
            states = [zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                            device=input.device)] * \
                (2 if name == "LSTMCell" else 1)
        elif not is_batched:
            states = [s.unsqueeze(0) for s in states]
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, s in enumerate(states):
            if s.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.size(1)}, "
                                   f"expected {self.hidden_size}")
            if s.dtype != input.dtype:
                raise RuntimeError(f"mat1 and mat2 must have the same dtype ({name}: input "
                                   f"{input.dtype}, hidden{i} {s.dtype})")
        return F.linear(input, self.weight_ih, self.bias_ih), states, is_batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        gi, (h,), is_batched = self._prepare(input, None if hx is None else [hx])
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = _rnn_step(gi, h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM: ``(h', c') = cell(x, (h, c))``, gates i, f, g, o."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        gi, (h, c), is_batched = self._prepare(input, None if hx is None else list(hx))
        h, c = _lstm_step(gi, h, c, self.weight_hh, self.bias_hh)
        # torch's CPU cell ends in h = o·tanh(c) and c = f·c + i·g
        h, c = named(h, "MulBackward0"), named(c, "AddBackward0")
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of a GRU: h' = (h − n)·z + n, gates r, z, n."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        gi, (h,), is_batched = self._prepare(input, None if hx is None else [hx])
        h = _gru_step(gi, h, self.weight_hh, self.bias_hh)
        h = named(h, "AddBackward0")          # torch's CPU cell ends in h = n + z·(h − n)
        return h if is_batched else h.squeeze(0)
