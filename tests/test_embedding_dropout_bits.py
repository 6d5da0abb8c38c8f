"""The embedding's gradient and dropout's masks bit for bit against torch.

Embedding: ``embedding_dense_backward`` adds each position's gradient row into its id's row,
position by position from zeros (:mod:`tinygrad_sgd.kernels.embedding`) — float32/64/16, plain,
``padding_idx``, ``scale_grad_by_freq`` (a fused multiply-add), repeated ids, 1-D/2-D/3-D ids,
few and many positions, narrow and wide rows; each kernel set; nn.Embedding; embedding_bag.

Dropout: torch draws the mask into ``empty_like(input)``, in the input's memory order, and the
result keeps the input's strides: transposed and permuted inputs, results of elementwise ops on
them, every dropout function, and the dropout inside a batch_first TransformerEncoderLayer."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels.backend import numba_available

BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not numba_available(), reason="numba not importable"))]
DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64),
          "float16": (np.float16, torch.float16)}


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------------------- embedding
# (rows, ids' shape, dim, padding_idx, scale_grad_by_freq)
EMBEDDING_CASES = [
    (27, (500,), 10, None, False),           # makemore: 60% of elements were off
    (27, (32, 3), 10, None, False),
    (5, (40,), 3, 1, False),
    (5, (4, 6, 7), 3, -1, True),
    (27, (3000,), 10, 0, True),              # past torch's 1000 (its threads split the rows)
    (65, (16, 64), 96, None, False),         # wide rows: the NumPy kernel's occurrence steps
    (65, (16, 64), 96, 3, True),
    (50, (2000,), 70, None, True),           # float16: 64 fused columns, 6 in half precision
    (3, (20000,), 4, None, False),           # few ids, very many positions
    (1000, (3, 50), 33, 999, True),          # few positions, mostly distinct ids
    (7, (0,), 5, None, False),               # no positions
]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=str)
def test_embedding_gradient_bits(backend, dtype, case):
    rows, shape, dim, padding_idx, freq = case
    nd, td = DTYPES[dtype]
    rng = np.random.default_rng(rows * 7 + dim)
    ids = rng.integers(0, rows, shape)
    ids.reshape(-1)[: ids.size // 3] = rows // 2               # one id repeated a lot
    g = (rng.standard_normal(shape + (dim,)) * 3).astype(nd)
    w = rng.standard_normal((rows, dim)).astype(nd)
    grads = []
    for L in (tg, torch):
        W = L.tensor(w, requires_grad=True)
        y = L.nn.functional.embedding(L.tensor(ids), W, padding_idx=padding_idx,
                                      scale_grad_by_freq=freq)
        y.backward(L.tensor(g))
        grads.append(W.grad.numpy())
    assert same_bits(*grads)


def test_embedding_module_and_index_dtypes(backend):
    """nn.Embedding with int32 ids and a second backward (the gradients accumulate)."""
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 11, (8, 9)).astype(np.int32)
    g = rng.standard_normal((8, 9, 6)).astype(np.float32)
    grads = []
    for L in (tg, torch):
        L.manual_seed(0)
        emb = L.nn.Embedding(11, 6, padding_idx=2)
        for _ in range(2):
            emb(L.tensor(ids)).backward(L.tensor(g))
        grads.append(emb.weight.grad.numpy())
    assert same_bits(*grads)


@pytest.mark.parametrize("mode", ["sum", "max"])
def test_embedding_bag_gradient_bits(backend, mode):
    """max: repeated ids; sum: each id once (torch's embedding_bag backward visits a repeated
    id's positions in the order of its unstable x86-simd-sort, which is not reproduced)."""
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 9, 60) if mode == "max" else rng.permutation(60)
    offsets = np.array([0, 7, 7, 30, 41])
    w = rng.standard_normal((60, 12)).astype(np.float32)
    g = rng.standard_normal((5, 12)).astype(np.float32)
    grads = []
    for L in (tg, torch):
        W = L.tensor(w, requires_grad=True)
        y = L.nn.functional.embedding_bag(L.tensor(ids), W, L.tensor(offsets), mode=mode)
        y.backward(L.tensor(g))
        grads.append(W.grad.numpy())
    assert same_bits(*grads)


# ---------------------------------------------------------------------------- dropout
def _base(L):
    return L.tensor(np.arange(1, 121, dtype=np.float32).reshape(4, 2, 3, 5) / 64)


LAYOUTS = {       # inputs whose memory order is not their logical order (exact values)
    "transposed view": lambda L: _base(L).transpose(0, 1),
    "relu of a transposed view": lambda L: _base(L).transpose(0, 1).relu(),
    "scaled permutation": lambda L: _base(L).permute(2, 0, 3, 1) * 1.0,
    "permuted view": lambda L: _base(L).permute(3, 1, 0, 2),
    "strided slice": lambda L: _base(L)[:, :, ::2],
    "transposed slice, negated": lambda L: -_base(L)[::2].transpose(1, 3),
    "expanded view": lambda L: _base(L)[:, :1].expand(4, 3, 3, 5),
    "transposed matrix, halved": lambda L: _base(L)[0, 0].t() / 2,
    "matmul, transposed": lambda L: (_base(L).reshape(8, 3, 5) @ L.ones(5, 4)).transpose(0, 1),
    "transposed + contiguous": lambda L: _base(L).transpose(0, 1) + _base(L).transpose(0, 1)
    .contiguous(),
    "detached relu of a permutation": lambda L: _base(L).permute(1, 3, 0, 2).relu().detach(),
}
DROPOUTS = {
    "dropout": lambda L, a: L.nn.functional.dropout(a, 0.4),
    "dropout inplace": lambda L, a: L.nn.functional.dropout(a.clone(), 0.4, inplace=True),
    "nn.Dropout": lambda L, a: L.nn.Dropout(0.3)(a),
    "alpha_dropout": lambda L, a: L.nn.functional.alpha_dropout(a, 0.3, training=True),
    "dropout2d": lambda L, a: L.nn.functional.dropout2d(a, 0.5) if a.ndim == 4 else a,
    "feature_alpha_dropout": lambda L, a: L.nn.functional.feature_alpha_dropout(
        a, 0.5, training=True),
}


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
@pytest.mark.parametrize("fn", list(DROPOUTS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_dropout_draws_in_memory_order(layout, fn, grad):
    """The same elements dropped as torch (the mask drawn in the input's memory order), the
    result's strides torch's, and the generator left where torch's is."""
    results = []
    for L in (tg, torch):
        with L.set_grad_enabled(grad):
            a = LAYOUTS[layout](L)
            if grad:
                a = a.detach().requires_grad_()
            L.manual_seed(3)
            y = DROPOUTS[fn](L, a)
            results.append((y.detach().numpy(), y.stride(), L.rand(2).numpy()))
    (ours, our_strides, our_next), (theirs, their_strides, their_next) = results
    assert same_bits(ours, theirs)
    assert our_strides == their_strides
    assert same_bits(our_next, their_next)


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
def test_transformer_layer_batch_first_dropout(grad):
    """A batch_first TransformerEncoderLayer in train mode: its attention output is a
    transposed view, and dropout1 draws its mask in that memory order (before: rows after
    the first off by ~0.03)."""
    outs = []
    for L in (tg, torch):
        L.manual_seed(0)
        layer = L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        src = L.randn(2, 4, 8)
        L.manual_seed(1)
        with L.set_grad_enabled(grad):
            outs.append((layer(src).detach().numpy(), L.rand(2).numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=0, atol=1e-5)
    assert same_bits(outs[0][1], outs[1][1])
