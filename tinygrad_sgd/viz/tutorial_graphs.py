"""The tutorials' graphs, built ready to draw, narrate and explore.

Each function in :data:`EXAMPLES` builds its graph afresh (fixed numbers or a fixed seed, so every
run gives the same picture) and returns ``(loss, names)``: the output tensor and a dict naming
the leaves *and* every intermediate result, as micrograd's ``label`` does. The named intermediate
results call ``retain_grad()``, so after ``loss.backward()`` their ``.grad`` is kept and
``draw_graph(loss, params=names)`` shows the value and the gradient of every node::

    loss, names = EXAMPLES["neuron"]()
    loss.backward()
    draw_graph(loss, params=names)

:func:`simple_cnn_batch` is the tutorial CNN on one batch of MNIST test digits, its forward
pass written out step by step so that every feature map is named (and the same as
``model(x)``). :data:`MODELS` are models with an example input, for ``draw_model``.

Values are float32, the library's default (micrograd's float64 numbers agree to 4 decimals).
"""
from __future__ import annotations

import numpy as np

from ..creation import tensor

__all__ = ["EXAMPLES", "MODELS", "expression", "neuron", "logistic", "xor_mlp", "gpt",
           "simple_cnn_batch", "simple_cnn", "mlp"]


def _leaf(value):
    return tensor(np.asarray(value, dtype=np.float32), requires_grad=True)


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
    x = tensor(np.concatenate([rng.normal(-1.0, 0.5, (2, 2)), rng.normal(1.0, 0.5, (2, 2))])
               .astype(np.float32))
    y = tensor(np.array([[0.0], [0.0], [1.0], [1.0]], dtype=np.float32))
    w = _leaf(rng.normal(0.0, 0.5, (2, 1)))
    b = _leaf(np.zeros(1))
    one_minus_y = 1.0 - y
    xw = x @ w
    z = xw + b
    p = z.sigmoid()
    log_p = p.log()
    y_log_p = y * log_p
    one_minus_p = 1.0 - p
    log_1mp = one_minus_p.log()
    rest = one_minus_y * log_1mp
    total = y_log_p + rest
    mean = total.mean()
    loss = -mean
    return loss, _retain({"x": x, "y": y, "1 - y": one_minus_y, "w": w, "b": b, "x @ w": xw,
                          "z": z, "p": p, "ln p": log_p, "y·ln p": y_log_p, "1 - p": one_minus_p,
                          "ln(1 - p)": log_1mp, "(1 - y)·ln(1 - p)": rest, "sum of both": total,
                          "mean": mean, "loss": loss})


def xor_mlp():
    """A 2-4-1 MLP on XOR: h = tanh(x @ W1 + b1), p = σ(h @ W2 + b2), loss = mean (p − y)².
    Seeded (0)."""
    rng = np.random.default_rng(0)
    x = tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    y = tensor(np.array([[0], [1], [1], [0]], dtype=np.float32))
    W1 = _leaf(rng.normal(0.0, 1.0, (2, 4)))
    b1 = _leaf(np.zeros(4))
    W2 = _leaf(rng.normal(0.0, 0.5, (4, 1)))
    b2 = _leaf(np.zeros(1))
    xW1 = x @ W1
    a1 = xW1 + b1
    h = a1.tanh()
    hW2 = h @ W2
    a2 = hW2 + b2
    p = a2.sigmoid()
    err = p - y
    sq = err * err
    loss = sq.mean()
    return loss, _retain({"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2,
                          "x @ W1": xW1, "x @ W1 + b1": a1, "h": h, "h @ W2": hW2,
                          "h @ W2 + b2": a2, "p": p, "p - y": err, "(p - y)²": sq, "loss": loss})


GPT_TEXT = "emma.olivia.ava.isabella.sophia."


def gpt():
    """A one-layer character GPT (``models.GPT``: 2 heads, 8-dim embeddings, a context of 8) on
    two rows of "emma.olivia.ava.isabella.sophia.": loss = mean cross-entropy of each next
    character. Seeded (manual_seed(0)). ``loss, names = gpt(); explore(loss, params=names)``
    steps through it (``tinygrad-sgd explain --example gpt --html gpt.html``)."""
    from .. import manual_seed
    from ..models import GPT, GPTConfig
    chars = sorted(set(GPT_TEXT))
    ids = np.array([chars.index(c) for c in GPT_TEXT])
    T = 8
    manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(chars), block_size=T, n_layer=1, n_head=2, n_embd=8))
    tokens = tensor(np.stack([ids[:T], ids[T:2 * T]]))
    targets = tensor(np.stack([ids[1:T + 1], ids[T + 1:2 * T + 1]]))
    logits, loss = model(tokens, targets)
    names = dict(model.named_parameters())
    names.update({"tokens": tokens, "targets": targets, "logits": logits, "loss": loss})
    return loss, _retain(names)


EXAMPLES = {
    "expression": expression,
    "neuron": neuron,
    "logistic": logistic,
    "xor-mlp": xor_mlp,
    "gpt": gpt,
}


def mnist_batch(batch_size=64):
    """The first ``batch_size`` MNIST test digits and labels (falling back to Fashion-MNIST,
    then to seeded noise, when the files are not on disk; nothing is downloaded). Returns
    ``(images, labels, note)``: images (N, 1, 28, 28) float32 in [-1, 1], int64 labels, and a
    sentence saying what the batch is."""
    from ..data import MNIST, FashionMNIST
    from ..data.mnist import ENV_VAR
    missing = []
    for dataset in (MNIST, FashionMNIST):
        try:
            ds = dataset(train=False, download=False)
        except (FileNotFoundError, ValueError):   # not on disk, or a corrupt file
            missing.append(dataset.name)
            continue
        n = min(batch_size, len(ds))
        images, labels = ds[np.arange(n)]
        note = f"{n} {dataset.name} test images"
        if missing:
            note += (f" ({' and '.join(missing)} not found: set ${ENV_VAR} to the folder that "
                     f"holds it)")
        return images, labels, note
    rng = np.random.default_rng(0)
    images = rng.uniform(-1.0, 1.0, (batch_size, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, batch_size)
    return images, labels, (f"{batch_size} random noise images with random labels (neither "
                            f"MNIST nor Fashion-MNIST was found: set ${ENV_VAR} to the folder "
                            f"that holds them)")


def simple_cnn_batch(batch_size=64, images=None, labels=None):
    """The PyTorch-tutorial CNN (``models.SimpleCNN``, seeded with manual_seed(0), in training
    mode) on one batch, with its loss ``nll_loss``: returns ``(loss, names, note)``.

    The forward pass is ``SimpleCNN.forward`` written out so that every intermediate result
    has a name (the tests check it gives ``model(x)`` exactly). ``images``/``labels`` default to
    :func:`mnist_batch`."""
    from .. import manual_seed
    from ..autograd import module_scope
    from ..models import SimpleCNN
    from ..nn import functional as F
    if images is None:
        images, labels, note = mnist_batch(batch_size)
    else:
        note = f"{len(images)} images given by the caller"
    manual_seed(0)
    model = SimpleCNN()
    x, target = tensor(np.asarray(images, dtype=np.float32)), tensor(np.asarray(labels))
    with module_scope(model):
        conv1 = model.conv1(x)
        pool1 = F.max_pool2d(conv1, 2)
        relu1 = F.relu(pool1)
        conv2 = model.conv2(relu1)
        pool2 = F.max_pool2d(conv2, 2)
        relu2 = F.relu(pool2)
        flat = F.flatten(relu2, 1)
        fc1 = F.relu(model.fc1(flat))
        dropped = F.dropout(fc1, 0.5, training=model.training)
        fc2 = model.fc2(dropped)
        log_probs = F.log_softmax(fc2, dim=1)
    loss = F.nll_loss(log_probs, target)
    names = dict(model.named_parameters())
    names.update({"input": x, "target": target, "conv1": conv1, "max_pool1": pool1,
                  "relu1": relu1, "conv2": conv2, "max_pool2": pool2, "relu2": relu2,
                  "flatten": flat, "relu(fc1)": fc1, "dropout": dropped, "fc2": fc2,
                  "log_softmax": log_probs, "loss": loss})
    return loss, _retain(names), note


def simple_cnn():
    """``models.SimpleCNN`` (seeded with manual_seed(0)) and one 1×28×28 input (MNIST-sized)."""
    from .. import manual_seed
    from ..models import SimpleCNN
    manual_seed(0)
    model = SimpleCNN()
    x = tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32))
    return model, x


def mlp():
    """``models.MLP([2, 16, 16, 1])`` (tanh; seeded with manual_seed(0)) on the 4 XOR points."""
    from .. import manual_seed
    from ..models import MLP
    manual_seed(0)
    return MLP([2, 16, 16, 1]), tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]],
                                                dtype=np.float32))


MODELS = {
    "simple-cnn": simple_cnn,
    "mlp": mlp,
}
