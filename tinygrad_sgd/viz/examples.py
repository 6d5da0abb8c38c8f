"""The tutorial graphs, ready to draw and to explain.

Each function in :data:`EXAMPLES` builds its graph afresh (fixed numbers or a fixed seed, so every
run gives the same picture) and returns ``(loss, names)``: the output tensor and a dict naming
the leaves *and* the intermediate results, as micrograd's ``label`` does. The named intermediate
results call ``retain_grad()``, so after ``loss.backward()`` their ``.grad`` is kept and
``draw_graph(loss, params=names)`` shows every gradient::

    loss, names = EXAMPLES["neuron"]()
    loss.backward()
    draw_graph(loss, params=names)

Values are float32, the library's default (micrograd's float64 numbers agree to 4 decimals).
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["EXAMPLES", "MODELS", "expression", "neuron", "logistic", "xor_mlp", "simple_cnn", "mlp"]


def _leaf(value):
    return Tensor(np.asarray(value, dtype=np.float32), requires_grad=True)


def _retain(names):
    for t in names.values():
        if t.grad_fn is not None:
            t.retain_grad()
    return names


def expression():
    """L = (a·b + c)·f with micrograd's numbers: a=2, b=−3, c=10, f=−2."""
    a, b, c, f = _leaf(2.0), _leaf(-3.0), _leaf(10.0), _leaf(-2.0)
    e = a * b
    d = e + c
    L = d * f
    return L, _retain({"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": L})


def neuron():
    """micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b) with x1=2, x2=0, w1=−3, w2=1,
    b=6.8813735870195432 (chosen so that o = 1/√2)."""
    x1, x2 = _leaf(2.0), _leaf(0.0)
    w1, w2 = _leaf(-3.0), _leaf(1.0)
    b = _leaf(6.8813735870195432)
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return o, _retain({"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "x1*w1": x1w1,
                       "x2*w2": x2w2, "x1*w1 + x2*w2": x1w1x2w2, "n": n, "o": o})


def logistic():
    """Logistic regression on 4 points in 2-D: p = σ(x @ w + b), loss = mean binary
    cross-entropy −[y·ln p + (1−y)·ln(1−p)]. Seeded (0)."""
    rng = np.random.default_rng(0)
    x = Tensor(np.concatenate([rng.normal(-1.0, 0.5, (2, 2)), rng.normal(1.0, 0.5, (2, 2))])
               .astype(np.float32))
    y = Tensor(np.array([[0.0], [0.0], [1.0], [1.0]], dtype=np.float32))
    w = _leaf(rng.normal(0.0, 0.5, (2, 1)))
    b = _leaf(np.zeros(1))
    one_minus_y = 1.0 - y
    z = x @ w + b
    p = z.sigmoid()
    loss = -(y * p.log() + one_minus_y * (1.0 - p).log()).mean()
    return loss, _retain({"x": x, "y": y, "1 - y": one_minus_y, "w": w, "b": b, "z": z,
                          "p": p, "loss": loss})


def xor_mlp():
    """A 2-4-1 MLP on XOR: h = tanh(x @ W1 + b1), p = σ(h @ W2 + b2), loss = mean (p − y)².
    Seeded (0)."""
    rng = np.random.default_rng(0)
    x = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    y = Tensor(np.array([[0], [1], [1], [0]], dtype=np.float32))
    W1 = _leaf(rng.normal(0.0, 1.0, (2, 4)))
    b1 = _leaf(np.zeros(4))
    W2 = _leaf(rng.normal(0.0, 0.5, (4, 1)))
    b2 = _leaf(np.zeros(1))
    h = (x @ W1 + b1).tanh()
    p = (h @ W2 + b2).sigmoid()
    err = p - y
    loss = (err * err).mean()
    return loss, _retain({"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h,
                          "p": p, "p - y": err, "loss": loss})


EXAMPLES = {
    "expression": expression,
    "neuron": neuron,
    "logistic": logistic,
    "xor-mlp": xor_mlp,
}


def simple_cnn():
    """``models.SimpleCNN`` (seeded with manual_seed(0)) and one 1×28×28 input (MNIST-sized)."""
    from .. import manual_seed
    try:
        from ..models import SimpleCNN
    except ImportError as e:
        raise RuntimeError(f"the simple-cnn graph needs tinygrad_sgd.models.SimpleCNN ({e})") \
            from None
    manual_seed(0)
    model = SimpleCNN()
    x = Tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32))
    return model, x


def mlp():
    """``models.MLP([2, 16, 16, 1])`` (tanh; seeded with manual_seed(0)) on the 4 XOR points."""
    from .. import manual_seed
    from ..models import MLP
    manual_seed(0)
    return MLP([2, 16, 16, 1]), Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]],
                                                dtype=np.float32))


MODELS = {
    "simple-cnn": simple_cnn,
    "mlp": mlp,
}
