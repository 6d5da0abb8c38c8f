"""The library's random numbers against torch's, through the public API: after the same
``manual_seed`` the same calls give the same values, bit for bit — random tensors and in-place
fills, ``nn.init`` and every layer's default initialisation, dropout masks in a training step,
the DataLoader's shuffled batches — and the generator state bytes stay equal throughout.
(``tests/test_random.py`` checks the NumPy layer, :mod:`tinygrad_sgd.random`, on its own.)
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.data import DataLoader
from tinygrad_sgd.data.loader import TensorDataset

torch = pytest.importorskip("torch")
TF = torch.nn.functional
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from torch_reference import TorchCNN  # noqa: E402  (benchmarks/ holds the torch twin)

SEEDS = [0, 541, 2**32 + 5]
SHAPES = [(), (1,), (7,), (15,), (16,), (17,), (3, 50), (100,), (2, 3, 11)]
DTYPES = [(tg.float32, torch.float32), (tg.float64, torch.float64)]
DTYPE_IDS = ["float32", "float64"]


def seed_both(seed):
    tg.manual_seed(seed)
    torch.manual_seed(seed)


def same(ours, theirs, what=""):
    """Same shape, dtype and values, bit for bit."""
    expected = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    got = np.asarray(ours.array if isinstance(ours, tg.Tensor) else ours)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    assert np.array_equal(got, expected), f"{what}: values differ"


def same_state(what=""):
    same(tg.get_rng_state(), torch.get_rng_state(), f"generator state {what}")


def linspace(shape, dtypes, lo=0.05, hi=0.95):
    """The same fixed values for both libraries (probabilities, means, deviations)."""
    values = np.linspace(lo, hi, math.prod(shape)).reshape(shape)
    return tg.tensor(values, dtype=dtypes[0]), torch.tensor(values, dtype=dtypes[1])


# ------------------------------------------------------------------------ streams, public API
STREAMS = {
    "rand": (lambda s, d: tg.rand(s, dtype=d[0]), lambda s, d: torch.rand(s, dtype=d[1])),
    "randn": (lambda s, d: tg.randn(s, dtype=d[0]), lambda s, d: torch.randn(s, dtype=d[1])),
    "rand_like": (lambda s, d: tg.rand_like(tg.zeros(s, dtype=d[0])),
                  lambda s, d: torch.rand_like(torch.zeros(s, dtype=d[1]))),
    "randn_like": (lambda s, d: tg.randn_like(tg.zeros(s, dtype=d[0])),
                   lambda s, d: torch.randn_like(torch.zeros(s, dtype=d[1]))),
    "uniform_": (lambda s, d: tg.zeros(s, dtype=d[0]).uniform_(-2.0, 3.0),
                 lambda s, d: torch.zeros(s, dtype=d[1]).uniform_(-2.0, 3.0)),
    "normal_": (lambda s, d: tg.zeros(s, dtype=d[0]).normal_(0.5, 2.0),
                lambda s, d: torch.zeros(s, dtype=d[1]).normal_(0.5, 2.0)),
    "bernoulli_": (lambda s, d: tg.zeros(s, dtype=d[0]).bernoulli_(0.3),
                   lambda s, d: torch.zeros(s, dtype=d[1]).bernoulli_(0.3)),
    "exponential_": (lambda s, d: tg.zeros(s, dtype=d[0]).exponential_(1.5),
                     lambda s, d: torch.zeros(s, dtype=d[1]).exponential_(1.5)),
    "random_": (lambda s, d: tg.zeros(s, dtype=d[0]).random_(-4, 9),
                lambda s, d: torch.zeros(s, dtype=d[1]).random_(-4, 9)),
    "normal(float, float, size)": (lambda s, d: tg.normal(0.3, 1.7, s, dtype=d[0]),
                                   lambda s, d: torch.normal(0.3, 1.7, s, dtype=d[1])),
    "normal(tensor, float)": (lambda s, d: tg.normal(linspace(s, d)[0], 0.7),
                              lambda s, d: torch.normal(linspace(s, d)[1], 0.7)),
    "normal(float, tensor)": (lambda s, d: tg.normal(-1.0, linspace(s, d)[0]),
                              lambda s, d: torch.normal(-1.0, linspace(s, d)[1])),
    "normal(tensor, tensor)": (lambda s, d: tg.normal(linspace(s, d)[0], linspace(s, d)[0]),
                               lambda s, d: torch.normal(linspace(s, d)[1], linspace(s, d)[1])),
    "bernoulli(p)": (lambda s, d: tg.bernoulli(linspace(s, d)[0]),
                     lambda s, d: torch.bernoulli(linspace(s, d)[1])),
    "bernoulli_(p tensor)": (lambda s, d: tg.zeros(s, dtype=d[0]).bernoulli_(linspace(s, d)[0]),
                             lambda s, d: torch.zeros(s, dtype=d[1]).bernoulli_(
                                 linspace(s, d)[1])),
    "x.bernoulli(p=0.6)": (lambda s, d: tg.zeros(s, dtype=d[0]).bernoulli(0.6),
                           lambda s, d: torch.zeros(s, dtype=d[1]).bernoulli(0.6)),
    "randint": (lambda s, d: tg.randint(-3, 9, s), lambda s, d: torch.randint(-3, 9, s)),
    "randint_like": (lambda s, d: tg.randint_like(tg.zeros(s, dtype=d[0]), 2, 30),
                     lambda s, d: torch.randint_like(torch.zeros(s, dtype=d[1]), 2, 30)),
}


@pytest.mark.parametrize("dtypes", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(STREAMS))
@pytest.mark.parametrize("seed", SEEDS)
def test_streams(seed, name, dtypes):
    """Every shape in turn on one stream: below, at and above 16 elements, not multiples."""
    ours, theirs = STREAMS[name]
    seed_both(seed)
    for shape in SHAPES:
        same(ours(shape, dtypes), theirs(shape, dtypes), f"{name} {shape}")
    same_state(name)


def test_interleaved_calls_of_every_kind():
    """All the streams mixed on one generator, three rounds, state compared after each call."""
    seed_both(2024)
    names = list(STREAMS)
    for round_ in range(3):
        for i, name in enumerate(names):
            shape, dtypes = SHAPES[(i + round_) % len(SHAPES)], DTYPES[(i + round_) % 2]
            ours, theirs = STREAMS[name]
            same(ours(shape, dtypes), theirs(shape, dtypes), f"round {round_} {name}")
            same_state(f"after {name}")
        same(tg.randperm(37), torch.randperm(37), "randperm")
        probs = linspace((4, 9), DTYPES[round_ % 2])
        same(probs[0].multinomial(5), probs[1].multinomial(5), "multinomial")
        same(tg.multinomial(probs[0], 20, True), torch.multinomial(probs[1], 20, True))


def test_size_spellings_and_int_dtypes():
    seed_both(3)
    same(tg.rand(2, 3), torch.rand(2, 3))
    same(tg.randn([4]), torch.randn([4]))
    same(tg.randint(10, (5,)), torch.randint(10, (5,)))
    same(tg.randint(10, size=(2, 2)), torch.randint(10, size=(2, 2)))
    same(tg.randint(low=-5, high=5, size=(3,)), torch.randint(low=-5, high=5, size=(3,)))
    same(tg.randint(0, 300, (6,), dtype=tg.int32), torch.randint(0, 300, (6,), dtype=torch.int32))
    same(tg.randint(0, 9, (6,), dtype=tg.float64), torch.randint(0, 9, (6,), dtype=torch.float64))
    same(tg.randperm(20, dtype=tg.int32), torch.randperm(20, dtype=torch.int32))
    same(tg.zeros(7, dtype=tg.int64).random_(), torch.zeros(7, dtype=torch.int64).random_())
    same(tg.zeros(7, dtype=tg.int64).bernoulli_(0.5),
         torch.zeros(7, dtype=torch.int64).bernoulli_(0.5))
    same(tg.zeros(7).random_(5), torch.zeros(7).random_(5))
    same_state()
    x = tg.rand(3, requires_grad=True, device="cpu")
    assert x.requires_grad and x.is_leaf


def test_generator_objects():
    """An explicit Generator is its own stream; the default one is untouched by it."""
    seed_both(11)
    g, G = torch.Generator().manual_seed(123), tg.Generator().manual_seed(123)
    w, tw = tg.zeros(4, 6), torch.zeros(4, 6)
    same(tg.rand(20, generator=G), torch.rand(20, generator=g))
    same(w.normal_(generator=G), tw.normal_(generator=g))
    same(nn.init.kaiming_uniform_(w, generator=G), torch.nn.init.kaiming_uniform_(tw,
                                                                                  generator=g))
    same(tg.randperm(12, generator=G), torch.randperm(12, generator=g))
    same(tg.randn(5), torch.randn(5))                          # the default stream goes on
    same(G.get_state(), g.get_state(), "explicit generator's state")
    same_state()
    assert tg.manual_seed(5) is tg.default_generator and tg.initial_seed() == 5
    assert tg.Generator(device="cpu").initial_seed() == torch.Generator().initial_seed()


def test_state_round_trips_as_tensors():
    seed_both(99)
    tg.randn(3), torch.randn(3)                       # leaves a cached normal in both
    state = tg.get_rng_state()
    assert isinstance(state, tg.Tensor) and state.dtype == np.uint8 and state.shape == (5056,)
    expected = tg.randn(40)
    tg.set_rng_state(state)
    same(tg.randn(40), expected.array, "replayed")
    torch.set_rng_state(torch.from_numpy(np.array(state.array)))     # our bytes drive torch
    tg.set_rng_state(state)
    same(tg.randn(7), torch.randn(7))
    tg.set_rng_state(tg.tensor(torch.get_rng_state().numpy()))      # and torch's drive ours
    same(tg.rand(9), torch.rand(9))
    new = tg.seed()
    assert new == tg.initial_seed() and 0 <= new < 2**64


ERRORS = [   # (ours, torch's): the same exception class and message
    (lambda: tg.zeros(3, dtype=tg.int64).uniform_(), lambda: torch.zeros(3).long().uniform_()),
    (lambda: tg.zeros(3).normal_(0.0, -1.0), lambda: torch.zeros(3).normal_(0.0, -1.0)),
    (lambda: tg.zeros(3, dtype=tg.int64).normal_(), lambda: torch.zeros(3).long().normal_()),
    (lambda: tg.zeros(3).bernoulli_(1.5), lambda: torch.zeros(3).bernoulli_(1.5)),
    (lambda: tg.zeros(3).random_(5, 5), lambda: torch.zeros(3).random_(5, 5)),
    (lambda: tg.randn_like(tg.zeros(2, dtype=tg.int64)),
     lambda: torch.randn_like(torch.zeros(2, dtype=torch.int64))),
    (lambda: tg.randint(5, 5, (3,)), lambda: torch.randint(5, 5, (3,))),
    (lambda: tg.randint(5, (3,), requires_grad=True),
     lambda: torch.randint(5, (3,), requires_grad=True)),
    (lambda: tg.normal(tg.zeros(3), tg.tensor([1.0, -1.0, 1.0])),
     lambda: torch.normal(torch.zeros(3), torch.tensor([1.0, -1.0, 1.0]))),
    (lambda: tg.multinomial(tg.ones(3), 4), lambda: torch.multinomial(torch.ones(3), 4)),
    (lambda: tg.set_rng_state(tg.zeros(10, dtype=np.uint8)),
     lambda: torch.set_rng_state(torch.zeros(10, dtype=torch.uint8))),
    (lambda: tg.set_rng_state(tg.zeros(5056)), lambda: torch.set_rng_state(torch.zeros(5056))),
    (lambda: nn.init.kaiming_uniform_(tg.zeros(3)),
     lambda: torch.nn.init.kaiming_uniform_(torch.zeros(3))),
    (lambda: nn.init.kaiming_normal_(tg.zeros(3, 3), mode="fan"),
     lambda: torch.nn.init.kaiming_normal_(torch.zeros(3, 3), mode="fan")),
    (lambda: nn.init.kaiming_uniform_(tg.zeros(3, 3), nonlinearity="foo"),
     lambda: torch.nn.init.kaiming_uniform_(torch.zeros(3, 3), nonlinearity="foo")),
    (lambda: nn.init.calculate_gain("leaky_relu", "x"),
     lambda: torch.nn.init.calculate_gain("leaky_relu", "x")),
    (lambda: nn.init.eye_(tg.zeros(2, 2, 2)), lambda: torch.nn.init.eye_(torch.zeros(2, 2, 2))),
    (lambda: nn.init.orthogonal_(tg.zeros(2)), lambda: torch.nn.init.orthogonal_(torch.zeros(2))),
    (lambda: nn.init.xavier_uniform_(tg.zeros(2)),
     lambda: torch.nn.init.xavier_uniform_(torch.zeros(2))),
    (lambda: tg.nn.functional.dropout(tg.ones(3), 1.5), lambda: TF.dropout(torch.ones(3), 1.5)),
]


@pytest.mark.parametrize("ours, theirs", ERRORS)
def test_errors_are_torchs(ours, theirs):
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert str(got.value) == str(expected.value)


def test_inplace_fills_are_inplace_operations():
    """They move the version counter; a leaf that requires grad only under no_grad."""
    p = nn.Parameter(tg.zeros(4, 4))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        p.uniform_()
    before = p._version
    with tg.no_grad():
        assert p.normal_() is p
    assert p._version == before + 1 and p.requires_grad and p.is_leaf
    x = tg.rand(4, requires_grad=True)
    y = x * 2.0
    saved = y * y                                       # saves y for its backward
    y.bernoulli_(0.5)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()
    with pytest.raises(RuntimeError, match="not available"):
        tg.rand(3, device="cuda")


def test_get_rng_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="get_rng"):
        assert tg.get_rng() is tg.default_generator


# ------------------------------------------------------------------------ nn.init, layers
INITS = [("uniform_", (-0.5, 2.0), {}), ("normal_", (0.3, 0.7), {}), ("constant_", (0.25,), {}),
         ("ones_", (), {}), ("zeros_", (), {}), ("xavier_uniform_", (1.5,), {}),
         ("xavier_normal_", (), {}), ("kaiming_uniform_", (), {}),
         ("kaiming_uniform_", (math.sqrt(5),), {}),
         ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
         ("kaiming_normal_", (0.2,), {"nonlinearity": "leaky_relu"}),
         ("trunc_normal_", (), {"std": 0.02}), ("trunc_normal_", (0.0, 1.0, -0.3, 0.4), {})]


@pytest.mark.parametrize("dtypes", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name, args, kwargs", INITS, ids=lambda v: str(v)[:30])
def test_init_functions(name, args, kwargs, dtypes):
    seed_both(17)
    for shape in [(7, 3), (64, 20), (10, 3, 5, 5), (33, 17)]:
        w = nn.Parameter(tg.zeros(shape, dtype=dtypes[0]))
        tw = torch.nn.Parameter(torch.zeros(shape, dtype=dtypes[1]))
        out = getattr(nn.init, name)(w, *args, **kwargs)
        getattr(torch.nn.init, name)(tw, *args, **kwargs)
        assert out is w and w.requires_grad
        same(w, tw, f"{name}{shape}")
    same_state(name)


def test_eye_orthogonal_and_gains():
    seed_both(8)
    same(nn.init.eye_(tg.zeros(3, 5)), torch.nn.init.eye_(torch.zeros(3, 5)))
    for shape in [(6, 6), (3, 8), (8, 2, 2)]:
        w, tw = tg.zeros(shape), torch.zeros(shape)
        nn.init.orthogonal_(w, gain=2.0)
        torch.nn.init.orthogonal_(tw, gain=2.0)
        np.testing.assert_allclose(w.array, tw.numpy(), atol=2e-6)   # QR: NumPy's LAPACK
        same_state(f"orthogonal_{shape}")
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3)]:
        assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(tg.zeros(0, 3))


LAYERS = [(lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3)),
          (lambda: nn.Linear(320, 50, bias=False), lambda: torch.nn.Linear(320, 50, bias=False)),
          (lambda: nn.Conv2d(1, 10, 5), lambda: torch.nn.Conv2d(1, 10, 5)),
          (lambda: nn.Conv2d(3, 8, (3, 5), padding=1), lambda: torch.nn.Conv2d(3, 8, (3, 5),
                                                                               padding=1)),
          (lambda: nn.Embedding(10, 16), lambda: torch.nn.Embedding(10, 16)),
          (lambda: nn.Embedding(7, 3, padding_idx=2), lambda: torch.nn.Embedding(7, 3,
                                                                                 padding_idx=2)),
          (lambda: nn.LayerNorm(8), lambda: torch.nn.LayerNorm(8)),
          (lambda: nn.BatchNorm2d(4), lambda: torch.nn.BatchNorm2d(4)),
          (lambda: nn.PReLU(3), lambda: torch.nn.PReLU(3)),
          (lambda: nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)),
           lambda: torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                       torch.nn.Linear(16, 1))),
          (lambda: tg.models.SimpleCNN(), TorchCNN),
          (lambda: tg.models.MLP([2, 16, 16, 1]),
           lambda: torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                       torch.nn.Linear(16, 16), torch.nn.Tanh(),
                                       torch.nn.Linear(16, 1)))]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_layers_default_initialisation(seed):
    """Built one after the other from ``manual_seed`` alone: the same weights as torch's."""
    seed_both(seed)
    for ours, theirs in LAYERS:
        a, b = ours(), theirs()
        expected = b.state_dict()
        got = a.state_dict()
        assert list(got) == list(expected), type(a).__name__
        for key in expected:
            same(got[key], expected[key], f"{type(a).__name__}.{key}")
        same_state(f"after {type(a).__name__}")


# ------------------------------------------------------------------------ dropout
@pytest.mark.parametrize("dtypes", DTYPES, ids=DTYPE_IDS)
def test_dropout_masks(dtypes):
    seed_both(21)
    for p in (0.1, 0.5, 1 / 3, 0.8):
        for shape in [(9, 37), (1,), (64, 50), (2, 3, 4)]:
            x, tx = linspace(shape, dtypes, -1.0, 1.0)
            same(tg.nn.functional.dropout(x, p), TF.dropout(tx, p), f"dropout p={p} {shape}")
    drop, tdrop = nn.Dropout(0.25), torch.nn.Dropout(0.25)
    x, tx = linspace((5, 6), dtypes)
    same(drop(x), tdrop(tx), "nn.Dropout")
    drop.eval(), tdrop.eval()
    assert drop(x) is x                                 # no draw in eval mode
    same_state()
    y, ty = linspace((4, 4), dtypes)
    out = tg.nn.functional.dropout(y, 0.5, inplace=True)
    TF.dropout(ty, 0.5, inplace=True)
    assert out is y
    same(y, ty, "inplace")


def test_cnn_training_steps_draw_torchs_dropout_masks(monkeypatch):
    """The tutorial CNN from the same seed alone (no weight copying), in train mode: the same
    weights, the same dropout masks at each step, the same losses (to float32 rounding)."""
    masks, tmasks = [], []
    draw, torch_dropout = tg.random.dropout_mask, TF.dropout

    def recorded(*args, **kwargs):
        masks.append(draw(*args, **kwargs))
        return masks[-1]

    def trecorded(x, p=0.5, training=True, inplace=False):
        tmasks.append(torch_dropout(torch.ones_like(x), p, training))  # x·mask is dropout(x)
        return x * tmasks[-1]

    monkeypatch.setattr(tg.random, "dropout_mask", recorded)
    monkeypatch.setattr(TF, "dropout", trecorded)
    seed_both(1)
    model, tmodel = tg.models.SimpleCNN(), TorchCNN()
    for key, value in tmodel.state_dict().items():
        same(model.state_dict()[key], value, key)
    opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    model.train(), tmodel.train()
    for step in range(3):
        x, tx = tg.randn(16, 1, 28, 28), torch.randn(16, 1, 28, 28)
        y, ty = tg.randint(0, 10, (16,)), torch.randint(0, 10, (16,))
        same(x, tx, "batch")
        opt.zero_grad(), topt.zero_grad()
        loss = tg.nn.functional.nll_loss(model(x), y)
        tloss = TF.nll_loss(tmodel(tx), ty)
        same(masks[-1], tmasks[-1], f"dropout mask at step {step}")
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
        loss.backward(), tloss.backward()
        opt.step(), topt.step()
        same_state(f"step {step}")
    assert len(masks) == len(tmasks) == 3 and 0 < (masks[0] == 0).mean() < 1


# ------------------------------------------------------------------------ DataLoader
@pytest.mark.parametrize("n, batch_size, drop_last", [(50, 7, False), (50, 7, True),
                                                      (64, 8, False), (64, 8, True),
                                                      (103, 16, False)])
@pytest.mark.parametrize("explicit", [False, True], ids=["default generator", "generator="])
def test_dataloader_shuffle_two_epochs(n, batch_size, drop_last, explicit):
    """torch's RandomSampler order, with draws between batches on the default generator (as a
    training step's dropout makes) and on the loader's own generator."""
    seed_both(0)
    G = tg.Generator().manual_seed(5) if explicit else None
    g = torch.Generator().manual_seed(5) if explicit else None
    loader = DataLoader(TensorDataset(tg.arange(n)), batch_size=batch_size, shuffle=True,
                        drop_last=drop_last, generator=G)
    tloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)),
                                          batch_size=batch_size, shuffle=True,
                                          drop_last=drop_last, generator=g)
    for epoch in range(2):
        batches, tbatches = list(), list()
        for (xb,), (txb,) in zip(loader, tloader, strict=True):
            batches.append(xb), tbatches.append(txb)
            same(tg.rand(3), torch.rand(3), "a draw between batches")
            if explicit:
                same(tg.rand(2, generator=G), torch.rand(2, generator=g), "on the generator")
        for i, (xb, txb) in enumerate(zip(batches, tbatches)):
            same(xb, txb, f"epoch {epoch} batch {i}")
        same_state(f"after epoch {epoch}")
        if explicit:
            same(G.get_state(), g.get_state(), f"loader generator after epoch {epoch}")


def test_dataloader_without_shuffle_and_with_seed():
    """An epoch takes a base seed from the generator even unshuffled; ``seed=s`` is
    ``generator=Generator().manual_seed(s)``; an (X, y) pair shuffles like a TensorDataset."""
    seed_both(4)
    X, y = np.arange(60, dtype=np.float32).reshape(30, 2), np.arange(30)
    for _ in range(2):
        xs = [xb for xb, _ in DataLoader((X, y), batch_size=8)]
        txs = [xb for xb, _ in torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
            batch_size=8)]
        for xb, txb in zip(xs, txs, strict=True):
            same(xb, txb)
        same_state("unshuffled epoch")
    loader = DataLoader((X, y), batch_size=8, shuffle=True, seed=9)
    tloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=8,
        shuffle=True, generator=torch.Generator().manual_seed(9))
    for _ in range(2):
        for (xb, yb), (txb, tyb) in zip(loader, tloader, strict=True):
            same(xb, txb), same(yb, tyb)
    same_state("seeded loader leaves the default generator alone")


def test_tensor_dataset():
    a, b = tg.arange(5), tg.rand(5, 2)
    ds = TensorDataset(a, b)
    assert len(ds) == 5 and ds.tensors == (a, b)
    item = ds[3]
    assert isinstance(item, tuple) and item[0].item() == 3 and item[1].shape == (2,)
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(tg.arange(5), tg.arange(4))
    (xb, yb), = list(DataLoader(ds, batch_size=5))
    same(xb, a.array), same(yb, b.array)
