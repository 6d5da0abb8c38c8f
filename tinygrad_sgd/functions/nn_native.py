"""torch's lower-level top-level forms of the network functions: ``torch.convolution``, the
``native_*`` normalisations and dropout (which also return what their backward saves: mean and
1/std, the dropout mask), the recurrent cells ``torch.rnn_tanh_cell``, ``rnn_relu_cell``,
``lstm_cell``, ``gru_cell`` (weights given, torch's argument order) and ``torch.ctc_loss``.

Each calls :mod:`tinygrad_sgd.nn.functional` (where the checks and the op calls are) for the
result; the extra outputs are computed beside it as torch defines them: ``native_layer_norm``'s
mean and rstd = 1/√(var + eps) over the normalized dims (kept as size 1, no gradient),
``native_batch_norm``'s batch mean and 1/√(biased var + eps) per channel in training (empty in
eval), ``native_group_norm``'s (N, groups) mean and rstd (these two differentiable, as torch's).
"""
import numpy as np

from .. import autograd
from ..tensor import Tensor
from .nn_forms import _F, _reduction

__all__ = ["convolution", "native_layer_norm", "native_batch_norm", "native_group_norm",
           "native_dropout", "native_channel_shuffle", "rnn_tanh_cell", "rnn_relu_cell",
           "lstm_cell", "gru_cell", "ctc_loss"]


def _ints(value, name, position):
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"convolution(): argument '{name}' (position {position}) must be tuple "
                        f"of ints, not {type(value).__name__}")
    return tuple(value)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """``conv{1,2,3}d`` (or ``conv_transpose{1,2,3}d`` when ``transposed``) by the weight's
    number of dims; every argument positional and required, the geometry as lists (one
    number serves every spatial dim)."""
    args = [_ints(v, n, p) for v, n, p in ((stride, "stride", 4), (padding, "padding", 5),
                                           (dilation, "dilation", 6),
                                           (output_padding, "output_padding", 8))]
    if input.ndim != weight.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    k = weight.ndim - 2
    stride, padding, dilation, output_padding = [v * k if len(v) == 1 else v for v in args]
    F = _F()
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[k - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (F.conv1d, F.conv2d, F.conv3d)[k - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def _stats(x, axes, eps):
    """(mean, 1/√(biased var + eps)) over ``axes`` (kept), in Tensor ops (differentiable)."""
    wide = x if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else x.float()
    mean = wide.mean(axes, keepdim=True)
    var = ((wide - mean) ** 2).mean(axes, keepdim=True)
    return mean.to(x.dtype), (var + eps).rsqrt().to(x.dtype)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(layer_norm(input), mean, rstd): mean and rstd shaped as the input with the normalized
    dims of size 1; they carry no gradient, as torch's."""
    if len(normalized_shape) == 0:
        raise RuntimeError(f"Expected normalized_shape to be at least 1-dimensional, i.e., "
                           f"containing at least one element, but got normalized_shape = "
                           f"{list(normalized_shape)}")
    out = _F().layer_norm(input, normalized_shape, weight, bias, eps)
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    with autograd.no_grad():
        mean, rstd = _stats(input, axes, eps)
    return out, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                      eps):
    """(batch_norm(input), save_mean, save_invstd): in training the batch's mean and
    1/√(biased var + eps) per channel (the running statistics, if given, are updated); in
    eval two empty tensors. No gradient through the two."""
    if isinstance(input, Tensor) and input.ndim == 0:      # (torch's first error, here)
        raise _F().normalization.zero_dim_batch_norm()
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined "
                           "in evaluation mode")
    out = _F().normalization._batch_norm(
        input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = Tensor._of(np.zeros(0, input.array.dtype))
        return out, empty, empty.clone()
    axes = (0,) + tuple(range(2, input.ndim))
    with autograd.no_grad():
        mean, rstd = _stats(input, axes, eps)
    return out, mean.reshape(-1), rstd.reshape(-1)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(group_norm(input), mean, rstd), mean and rstd of shape (N, group): differentiable, as
    torch's. ``N``, ``C``, ``HxW`` must describe the input."""
    if input.numel() != N * C * HxW:
        raise RuntimeError("Expected X.numel() == N * C * HxW to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    out = _F().group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, C // group * HxW), (2,), eps)  # (N may be 0)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def native_dropout(input, p, train):
    """(output, mask): the mask (bool) keeps an element with probability 1 − p — torch's draws,
    those of ``F.dropout`` — and the kept ones are scaled by 1/(1 − p). ``train=False`` gives
    a copy of the input and a mask of all True (``train=None`` is training, as torch's)."""
    from ..ops.dropout import DropoutOp
    from .. import random
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_CPP.get(input.dtype.name, input.dtype.name)}")
    if train is False:
        return input.clone(), Tensor._of(np.ones(input.shape, np.bool_))
    if not 0 <= 1 - p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p}")
    mask = random.dropout_mask(input.shape, p, input.dtype)
    return DropoutOp.apply(input, mask=mask, p=p, name="native_dropout"), \
        Tensor._of(mask != 0)


_CPP = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
        "bool": "Bool"}


def native_channel_shuffle(input, groups):
    """``F.channel_shuffle``'s values; torch gives this form no derivative (backward through it
    raises)."""
    from ..ops import NoDerivative
    with autograd.no_grad():
        out = _F().channel_shuffle(input, groups)
    if input.requires_grad and autograd.is_grad_enabled():
        out = NoDerivative.apply(out, input, what="aten::native_channel_shuffle")
    return out


# ------------------------------------------------------------------ recurrent cells
def _cell_checks(input, states, w_ih, w_hh, gates):
    """torch's checks, in its order: the weights' first dims, the input's size, the states'."""
    hidden = w_hh.shape[1]
    for name, w in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if w.shape[0] != gates * hidden:
            raise RuntimeError(f"{name} first dim must be {gates} * hidden_size = "
                               f"{gates * hidden}, but got {w.shape[0]}")
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[-{max(input.ndim, 1)}, {max(input.ndim, 1) - 1}], but got 1)")
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{w_ih.shape[1]}")
    for i, s in enumerate(states):
        if s.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} "
                               f"batch size {s.shape[0]}")
        if s.shape[1] != hidden:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, "
                               f"expected {hidden}")


def _hidden(hx, fn):
    if not isinstance(hx, Tensor):
        raise TypeError(f"{fn}(): argument 'hx' (position 2) must be Tensor, not "
                        f"{type(hx).__name__}")
    return hx


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    _cell_checks(input, [_hidden(hx, "rnn_tanh_cell")], w_ih, w_hh, 1)
    return (_F().linear(input, w_ih, b_ih) + _F().linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    _cell_checks(input, [_hidden(hx, "rnn_relu_cell")], w_ih, w_hh, 1)
    return (_F().linear(input, w_ih, b_ih) + _F().linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') of one LSTM step, ``hx = (h, c)``, gates i, f, g, o (``nn.LSTMCell``'s)."""
    from ..nn.rnn_layers import _lstm_step
    if not isinstance(hx, (tuple, list)):
        raise TypeError(f"lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                        f"not {type(hx).__name__}")
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    _cell_checks(input, hx, w_ih, w_hh, 4)
    return _lstm_step(_F().linear(input, w_ih, b_ih), hx[0], hx[1], w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' of one GRU step, gates r, z, n (``nn.GRUCell``'s)."""
    from ..nn.rnn_layers import _gru_step
    _cell_checks(input, [_hidden(hx, "gru_cell")], w_ih, w_hh, 3)
    return _gru_step(_F().linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=None,
             zero_infinity=False):
    """``F.ctc_loss`` with ``reduction`` an int (0 none, 1 mean, 2 sum); called without one it
    gives the unreduced losses, as torch's Python binding does."""
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         "none" if reduction is None else _reduction(reduction), zero_infinity)
