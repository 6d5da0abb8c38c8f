"""torch's functional recurrent layers, the functions ``nn.LSTM`` / ``GRU`` / ``RNN`` call with
their flat weights: ``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh``, ``torch.rnn_relu``.

Each has torch's two overloads, every argument positional and required::

    lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)

the second for packed sequences (``data`` and ``batch_sizes`` of a ``PackedSequence``). An
LSTM's ``hx`` is the pair ``(h_0, c_0)`` and it returns ``(output, h_n, c_n)``; the others take
``hx = h_0`` and return ``(output, h_n)``. ``params`` is torch's flat list (see
:mod:`tinygrad_sgd.nn.rnn_layers`, where the layers run: these only read the arguments).
"""
import numbers

import numpy as np

from ..tensor import Tensor

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu"]

_TORCH_DTYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "uint8": "Byte", "int16": "Short", "int32": "Int", "bool": "Bool"}
_TAIL = (("has_biases", "bool"), ("num_layers", "int"), ("dropout", "float"),
         ("train", "bool"), ("bidirectional", "bool"))


def _overloads(lstm):
    """(packed, padded) argument lists: (name, torch's type name) pairs."""
    hx = ("hx", "tuple of Tensors" if lstm else "Tensor")
    params = ("params", "tuple of Tensors")
    return ((("data", "Tensor"), ("batch_sizes", "Tensor"), hx, params) + _TAIL,
            (("input", "Tensor"), hx, params) + _TAIL + (("batch_first", "bool"),))


def _fits(value, kind):
    if kind == "Tensor":
        return isinstance(value, Tensor)
    if kind == "tuple of Tensors":
        return isinstance(value, (tuple, list)) and all(isinstance(v, Tensor) for v in value)
    if kind == "bool":
        return isinstance(value, (bool, np.bool_))
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return isinstance(value, numbers.Real)


def _bind(fn, lstm, args, kwargs):
    """(packed?, the arguments by name) for whichever overload the call fits; else torch's
    TypeError listing both."""
    for packed, spec in zip((True, False), _overloads(lstm)):
        names = [name for name, _ in spec]
        if len(args) > len(spec) or any(k not in names[len(args):] for k in kwargs):
            continue
        values = dict(zip(names, args), **kwargs)
        if len(values) == len(spec) and all(_fits(values[n], kind) for n, kind in spec):
            return packed, values
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    expected = "\n".join(" * (" + ", ".join(f"{kind} {name}" for name, kind in spec) + ")"
                         for spec in _overloads(lstm))
    raise TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but "
                    f"expected one of:\n{expected}")


def _recurrent(mode, fn, args, kwargs):
    from ..nn.rnn_layers import recurrent           # (nn imports this package: looked up here)
    lstm = mode == "LSTM"
    packed, a = _bind(fn, lstm, args, kwargs)
    batch_sizes = None
    if packed:
        sizes = a["batch_sizes"]
        if sizes.dtype != np.int64:
            raise RuntimeError(f"expected scalar type Long but found "
                               f"{_TORCH_DTYPE.get(sizes.dtype.name, sizes.dtype.name)}")
        batch_sizes = [int(b) for b in np.asarray(sizes.array).reshape(-1)]
    hx = tuple(a["hx"]) if lstm else (a["hx"],)
    output, h_n = recurrent(mode, a["data"] if packed else a["input"], batch_sizes, hx,
                            list(a["params"]), bool(a["has_biases"]), int(a["num_layers"]),
                            float(a["dropout"]), bool(a["train"]), bool(a["bidirectional"]),
                            bool(a.get("batch_first", False)))
    return (output,) + h_n


def lstm(*args, **kwargs):
    """(output, h_n, c_n) of a stacked LSTM given its flat weights (torch's two overloads:
    see the module's docstring)."""
    return _recurrent("LSTM", "lstm", args, kwargs)


def gru(*args, **kwargs):
    """(output, h_n) of a stacked GRU given its flat weights."""
    return _recurrent("GRU", "gru", args, kwargs)


def rnn_tanh(*args, **kwargs):
    """(output, h_n) of a stacked Elman RNN (tanh) given its flat weights."""
    return _recurrent("RNN_TANH", "rnn_tanh", args, kwargs)


def rnn_relu(*args, **kwargs):
    """(output, h_n) of a stacked Elman RNN (relu) given its flat weights."""
    return _recurrent("RNN_RELU", "rnn_relu", args, kwargs)
