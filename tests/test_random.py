"""tinygrad_sgd.random against torch's CPU generator: the same seed and the same calls must give
the same numbers, bit for bit (``np.array_equal``), and the same generator state bytes.
"""
import contextlib
import math
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest

import tinygrad_sgd.random as tr
from tinygrad_sgd.random.exact import fma32, fma64
from tinygrad_sgd.random.sampling import _inside_out, _shuffle_swaps

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 541, 2147483647, 2**32 + 5, 2**63 + 12345, 2**64 - 1]
SHAPES = [0, 1, 7, 15, 16, 17, 33, 100, (3, 50), (1000, 2)]
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64)]


def seed_both(seed):
    torch.manual_seed(seed)
    tr.manual_seed(seed)


def assert_same(ours, theirs, what=""):
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != {theirs.dtype}"
    if not np.array_equal(ours, theirs):
        bad = np.flatnonzero(ours.ravel() != theirs.ravel())
        raise AssertionError(f"{what}: {bad.size} of {ours.size} differ, first at {bad[:5]}: "
                             f"{ours.ravel()[bad[:3]]} vs {theirs.ravel()[bad[:3]]}")


def assert_same_state(what=""):
    assert_same(tr.get_rng_state(), torch.get_rng_state(), f"state {what}")


def tshape(shape):
    return (shape,) if isinstance(shape, int) else shape


# ------------------------------------------------------------------------------- the engine
def test_engine_is_numpy_mt19937_with_legacy_seeding():
    """torch's engine is MT19937 with init_genrand on the seed's low 32 bits."""
    for seed in (0, 541, 2**32 + 5):
        ours = tr.Generator(seed).random(2000)
        bitgen = np.random.MT19937(0)
        bitgen._legacy_seeding(seed & 0xFFFFFFFF)
        assert np.array_equal(ours, bitgen.random_raw(2000))
        torch.manual_seed(seed)      # randint below 2**28 is random() % range
        assert np.array_equal(ours[:50] % 12345, torch.randint(0, 12345, (50,)).numpy())


@pytest.mark.parametrize("seed", SEEDS + [-1, -(2**63)])
def test_seeding_state_bytes_and_initial_seed(seed):
    seed_both(seed)
    assert tr.initial_seed() == torch.initial_seed()
    assert_same_state("after seeding")
    tr.rand(3), torch.rand(3)
    assert_same_state("after a draw")


def test_fresh_generator_and_bad_seeds():
    assert tr.Generator().initial_seed() == torch.Generator().initial_seed()
    assert_same(tr.Generator().state_bytes(), torch.Generator().get_state())
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="seed must be in"):
            tr.manual_seed(bad)
    assert tr.seed() == tr.initial_seed()


# ------------------------------------------------------------------------------- float streams
STREAMS = {
    "rand": (lambda s, d: tr.rand(s, d), lambda s, d: torch.rand(*tshape(s), dtype=d)),
    "randn": (lambda s, d: tr.randn(s, d), lambda s, d: torch.randn(*tshape(s), dtype=d)),
    "uniform": (lambda s, d: tr.uniform(s, -0.3, 1.7, d),
                lambda s, d: torch.empty(tshape(s), dtype=d).uniform_(-0.3, 1.7)),
    "normal": (lambda s, d: tr.normal(s, 0.3, 1.7, d),
               lambda s, d: torch.empty(tshape(s), dtype=d).normal_(0.3, 1.7)),
    "exponential": (lambda s, d: tr.exponential(s, 2.5, d),
                    lambda s, d: torch.empty(tshape(s), dtype=d).exponential_(2.5)),
}


@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(STREAMS))
@pytest.mark.parametrize("seed", SEEDS)
def test_float_streams(seed, name, dtypes):
    """Every shape in turn on one stream (so the sizes' draws follow each other)."""
    ours, theirs = STREAMS[name]
    seed_both(seed)
    for shape in SHAPES:
        assert_same(ours(shape, dtypes[0]), theirs(shape, dtypes[1]), f"{name} {shape}")
    assert_same_state(name)


@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (-5.0, 0.02), (1e3, 3.3), (0.1, 1e-7)])
def test_large_normal_and_uniform(mean, std, dtypes):
    """Many elements (so the rare roundings of the fused multiply-adds are met)."""
    seed_both(3)
    n = 200_003
    assert_same(tr.normal(n, mean, std, dtypes[0]),
                torch.empty(n, dtype=dtypes[1]).normal_(mean, std), "normal")
    low, high = mean - 10 * std, mean + std
    assert_same(tr.uniform(n, low, high, dtypes[0]),
                torch.empty(n, dtype=dtypes[1]).uniform_(low, high), "uniform")


def test_uniform_maps_high_to_low():
    # with a range of one float32 ulp many draws round to `high`: torch stores `low` instead
    seed_both(5)
    low, high = 1.0, float(np.nextafter(np.float32(1), np.float32(2)))
    ours = tr.uniform(1000, low, high)
    assert_same(ours, torch.empty(1000).uniform_(low, high))
    assert np.all(ours == np.float32(low))


def test_interleaved_calls_and_the_cached_normal():
    """Mixed calls on one stream; small randn leaves a cached normal that the next small
    normal of either dtype uses first, and the state bytes carry it."""
    seed_both(541)
    calls = [
        (lambda: tr.randn(3), lambda: torch.randn(3)),
        (lambda: tr.randn(1, np.float64), lambda: torch.randn(1, dtype=torch.float64)),
        (lambda: tr.normal(1, 2.0, 3.0), lambda: torch.empty(1).normal_(2.0, 3.0)),
        (lambda: tr.rand(5), lambda: torch.rand(5)),
        (lambda: tr.randint(0, 7, (9,)), lambda: torch.randint(0, 7, (9,))),
        (lambda: tr.randn((4, 5)), lambda: torch.randn(4, 5)),
        (lambda: tr.randperm(11), lambda: torch.randperm(11)),
        (lambda: tr.randn(5, np.float64), lambda: torch.randn(5, dtype=torch.float64)),
        (lambda: tr.bernoulli(0.3, (6,)), lambda: torch.empty(6).bernoulli_(0.3)),
        (lambda: tr.exponential(2), lambda: torch.empty(2).exponential_()),
    ]
    for round_ in range(3):
        for i, (ours, theirs) in enumerate(calls):
            assert_same(ours(), theirs(), f"round {round_} call {i}")
            assert_same_state(f"round {round_} call {i}")


def test_tutorial_seed_program():
    """torch.manual_seed(541); X = rand(1000, 2); Y = round(0.25 X0 + 0.45 X1 + 0.3 rand)."""
    torch.manual_seed(541)
    X = torch.rand(1000, 2)
    Y = torch.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * torch.rand(1000))
    tr.manual_seed(541)
    Xn = tr.rand((1000, 2))
    Yn = np.round(np.float32(0.25) * Xn[:, 0] + np.float32(0.45) * Xn[:, 1]
                  + np.float32(0.3) * tr.rand(1000))
    assert_same(Xn, X, "X")
    assert_same(Yn, Y, "Y")


# ------------------------------------------------------------------------------- generators
def test_generator_objects_are_independent_of_the_default():
    seed_both(7)
    g, G = torch.Generator().manual_seed(123), tr.Generator().manual_seed(123)
    for shape in (5, 17, (2, 40)):
        assert_same(tr.randn(shape, generator=G), torch.randn(tshape(shape), generator=g))
        assert_same(tr.rand(shape), torch.rand(tshape(shape)))          # default stream
        assert_same(tr.randperm(9, generator=G), torch.randperm(9, generator=g))
        assert_same(tr.randint(-3, 3, shape, generator=G),
                    torch.randint(-3, 3, tshape(shape), generator=g))
    assert_same(G.state_bytes(), g.get_state())
    assert_same_state()


@pytest.mark.parametrize("drawn", [0, 1, 623, 624, 625, 2000])
def test_state_round_trips(drawn):
    """get_state/set_state, ours and torch's bytes both ways, with and without a cached normal."""
    seed_both(99)
    tr.default_generator.random(drawn)
    torch.randint(0, 2**20, (drawn,))            # the same number of 32-bit draws
    assert_same_state("after the raw draws")     # 624: the block is used up (left=1, next=624)
    tr.randn(1), torch.randn(1)                   # leaves a cached normal
    assert_same_state("before saving")
    saved = tr.get_rng_state()
    expected = tr.rand(700)
    tr.set_rng_state(saved)
    assert_same(tr.rand(700), expected, "ours replayed")
    tr.set_rng_state(saved)
    torch.set_rng_state(torch.from_numpy(saved))  # our bytes drive torch
    assert_same(tr.randn(3), torch.randn(3), "torch from our state")
    tr.set_rng_state(torch.get_rng_state().numpy())   # and torch's bytes drive ours
    assert_same(tr.randn((2, 9)), torch.randn(2, 9), "ours from torch's state")
    assert_same_state("after")


def test_set_state_errors():
    """torch's classes and messages (its own: "Invalid mt19937 state")."""
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but "
                                           "found the input RNG state size to be 10"):
        tr.set_rng_state(np.zeros(10, dtype=np.uint8))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        tr.set_rng_state(np.zeros(5056, dtype=np.float32))
    bad = tr.get_rng_state()
    bad[8:12] = 0                                  # left = 0: torch calls this invalid too
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        torch.set_rng_state(torch.from_numpy(bad))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        tr.set_rng_state(bad)


# ------------------------------------------------------------------------------- integers
@pytest.mark.filterwarnings("ignore:.*out of bounds")      # torch, for float64 beyond 2**53
@pytest.mark.parametrize("low, high", [(0, 10), (-5, 5), (3, 4), (0, 2**28 - 1), (0, 2**28),
                                       (-2**40, 2**40), (0, 2**62), (-2**63, 2**63 - 1)])
def test_randint(low, high):
    for seed in (0, 2**32 + 5):
        seed_both(seed)
        assert_same(tr.randint(low, high, (3, 17)), torch.randint(low, high, (3, 17)))
        assert_same(tr.randint(low, high, 5, np.float64),
                    torch.randint(low, high, (5,), dtype=torch.float64))
        assert_same_state()


def test_randint_errors():
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but "
                                           "got from=5 >= to=5"):
        tr.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        tr.randint(0, 300, (3,), np.uint8)


RANDOM_DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64),
                 (np.float16, torch.float16), (np.int64, torch.int64), (np.int32, torch.int32),
                 (np.int16, torch.int16), (np.int8, torch.int8), (np.uint8, torch.uint8),
                 (np.bool_, torch.bool)]


@pytest.mark.parametrize("dtypes", RANDOM_DTYPES, ids=lambda d: str(d[1]))
@pytest.mark.parametrize("bounds", [(), (2,), (5,), (100,), (-3, 7), (3, None), (-5, None),
                                    (0, 2**30), (-(2**63), None)], ids=str)
def test_random_fill_is_torchs_random_(bounds, dtypes):
    """``random_()``, ``random_(to)``, ``random_(from, to)``, ``random_(from, None)`` on every
    dtype: the same values, or the same error."""
    nd, td = dtypes
    low, high = (None, None) if not bounds else (0, bounds[0]) if len(bounds) == 1 else bounds
    seed_both(7)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.empty(40, dtype=td).random_(*bounds)
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e), match=re.escape(str(e))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tr.random_fill(40, nd, low, high)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(tr.random_fill(40, nd, low, high), theirs, f"random_{bounds}")
    assert_same_state()


def test_randint_range_past_2_28_uses_random64_for_every_dtype():
    for dtypes in [(np.int32, torch.int32), (np.int64, torch.int64)]:
        seed_both(3)
        for span in (2**28 - 1, 2**28, 2**30):
            assert_same(tr.randint(0, span, 9, dtypes[0]),
                        torch.randint(0, span, (9,), dtype=dtypes[1]))
        assert_same_state()


def test_randint_float_bounds_warn_as_torch():
    seed_both(1)
    with pytest.warns(UserWarning, match=re.escape("to - 1 is out of bounds [-(2^24), 2^24]")):
        ours = tr.randint(0, 2**25, 5, np.float32)
    with pytest.warns(UserWarning, match=re.escape("to - 1 is out of bounds [-(2^24), 2^24]")):
        theirs = torch.randint(0, 2**25, (5,), dtype=torch.float32)
    assert_same(ours, theirs)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 100, 10_000, 100_000])
def test_randperm(n):
    for seed in (0, 541):
        seed_both(seed)
        assert_same(tr.randperm(n), torch.randperm(n), f"randperm({n})")
        assert_same(tr.randperm(n, np.int32), torch.randperm(n, dtype=torch.int32))
        assert_same_state()


@pytest.mark.parametrize("n", [1, 2, 3, 8, 300])
def test_randperm_replays_match_the_loops(n):
    """The vectorised replays of torch's two shuffles against the C++ loops, literally."""
    rng = np.random.default_rng(n)
    for _ in range(5):
        z = np.array([rng.integers(0, n - i) for i in range(n - 1)], dtype=np.uint64)
        a = list(range(n))
        for i in range(n - 1):                      # small n: swap i with i + z[i]
            j = i + int(z[i])
            a[i], a[j] = a[j], a[i]
        if n > 1:
            assert np.array_equal(_shuffle_swaps(z, n), a)
        z = np.array([rng.integers(0, i + 1) for i in range(n)], dtype=np.uint64)
        b = [0] * n
        for i in range(n):                          # n >= 2**32 / 20: inside-out shuffle
            b[i] = i
            b[i] = b[int(z[i])]
            b[int(z[i])] = i
        assert np.array_equal(_inside_out(z, n), b)


# ------------------------------------------------------------------------------- bernoulli
@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
def test_bernoulli(dtypes):
    nd, td = dtypes
    for seed in (0, 541):
        seed_both(seed)
        p = torch.rand(7, 13, dtype=td)
        pn = tr.rand((7, 13), nd)
        assert_same(tr.bernoulli(pn), torch.bernoulli(p), "bernoulli(p tensor)")
        assert_same(tr.bernoulli(pn[0], (4, 13)), torch.empty(4, 13, dtype=td).bernoulli_(p[0]),
                    "bernoulli_(p broadcast)")
        assert_same(tr.bernoulli(0.3, (5, 40), nd), torch.empty(5, 40, dtype=td).bernoulli_(0.3),
                    "bernoulli_(p scalar)")
        assert_same_state()


@pytest.mark.parametrize("p", [0.1, 0.5, 1 / 3, 0.2, 0.999, 0.0, 1.0, 0.3, 0.7])
@pytest.mark.parametrize("dtypes", DTYPES + [(np.float16, torch.float16)],
                         ids=["float32", "float64", "float16"])
def test_dropout_mask(p, dtypes):
    nd, td = dtypes
    seed_both(11)
    for shape in [(9, 37), (1,), (64, 10)]:
        mask = tr.dropout_mask(shape, p, nd)
        assert_same(mask, torch.nn.functional.dropout(torch.ones(shape, dtype=td), p, True))
    drop = torch.nn.Dropout(p)
    drop.train()
    assert_same(tr.dropout_mask((5, 5), p, nd), drop(torch.ones(5, 5, dtype=td)), "nn.Dropout")
    assert_same_state()
    with pytest.raises(ValueError, match="between 0 and 1"):
        tr.dropout_mask((2,), 1.5)


@pytest.mark.parametrize("p", [0.0, 1.0, 0.5, 0.3, 1 / 3, 1e-300, 5e-324, 1 - 2**-53, 2**-53])
def test_uniforms_below_p_are_decided_on_the_integers_as_on_the_floats(p):
    """bernoulli/dropout's ``u < p`` compared as integers (b < ⌈p·2^53⌉) is the float
    comparison, also for p just at, below and above one of the uniforms drawn."""
    from tinygrad_sgd.kernels.random import below
    from tinygrad_sgd.random.generator import Generator, _uniform01_f64
    u = _uniform01_f64(Generator(7), 4000)
    raw = Generator(7).random(8000)                 # (the same draws, as 32-bit outputs)
    np.testing.assert_array_equal(below(raw, p), u < p)
    for v in u[:10]:
        for q in (v, np.nextafter(v, 0.0), np.nextafter(v, 1.0)):
            np.testing.assert_array_equal(below(raw, float(q)), u < q)


# ------------------------------------------------------------------------------- multinomial
@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("k, replacement", [(1, True), (1, False), (5, False), (27, False),
                                            (10, True), (100, True)])
def test_multinomial(k, replacement, dtypes):
    nd, td = dtypes
    for seed in (0, 2147483647):
        seed_both(seed)
        p1, p2 = torch.rand(27, dtype=td), torch.rand(5, 27, dtype=td)
        q1, q2 = tr.rand(27, nd), tr.rand((5, 27), nd)
        assert_same(tr.multinomial(q1, k, replacement), torch.multinomial(p1, k, replacement),
                    "1-D")
        assert_same(tr.multinomial(q2, k, replacement), torch.multinomial(p2, k, replacement),
                    "2-D")
        assert_same_state()


def test_multinomial_with_zero_probabilities():
    seed_both(4)
    p = torch.tensor([0.0, 0.3, 0.0, 0.7, 0.0, 0.0, 0.1] * 5)
    assert_same(tr.multinomial(p.numpy(), 50, True), torch.multinomial(p, 50, True))
    assert_same(tr.multinomial(p.numpy(), 15, False), torch.multinomial(p, 15, False))
    # past the 15 non-zero categories come the zeros, all tied: torch's topk orders them its
    # own way, so only the non-zero part is compared exactly
    ours, theirs = tr.multinomial(p.numpy(), 35, False), torch.multinomial(p, 35, False).numpy()
    assert np.array_equal(ours[:15], theirs[:15])
    assert set(ours[15:]) == set(theirs[15:]) == set(np.flatnonzero(p.numpy() == 0))


def test_makemore_bigram_sampling_loop():
    """makemore: g = Generator().manual_seed(2147483647), then one multinomial per character."""
    g = torch.Generator().manual_seed(2147483647)
    G = tr.Generator().manual_seed(2147483647)
    counts = torch.rand(27, 27, generator=g)
    assert_same(tr.rand((27, 27), generator=G), counts)
    P = (counts + 1) / (counts + 1).sum(1, keepdim=True)
    Pn = P.numpy()
    for _ in range(20):
        ix, name_t, name_n = 0, [], []
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            name_t.append(ix)
            name_n.append(int(tr.multinomial(Pn[name_n[-1] if name_n else 0], 1, True,
                                             generator=G)[0]))
            if ix == 0:
                break
        assert name_n == name_t
    assert_same(G.state_bytes(), g.get_state())


def test_multinomial_errors():
    """torch's class (RuntimeError) and messages."""
    for probs, k, message in [
            (np.ones(3, np.float32), 4, "cannot sample n_sample > prob_dist.size(-1) samples "
                                        "without replacement"),
            (np.array([0.5, -0.1], np.float32), 1, "probability tensor contains either `inf`, "
                                                   "`nan` or element < 0"),
            (np.zeros((2, 3), np.float32), 1, "invalid multinomial distribution (sum of "
                                              "probabilities <= 0)"),
            (np.ones(3, np.int64), 1, "multinomial only supports floating-point dtypes for "
                                      "input, got: Long"),
            (np.ones((2, 2, 2), np.float32), 1, "prob_dist must be 1 or 2 dim"),
            (np.ones(3, np.float32), 0, "cannot sample n_sample <= 0 samples")]:
        with pytest.raises(RuntimeError) as theirs:
            torch.multinomial(torch.from_numpy(probs), k)
        with pytest.raises(RuntimeError) as ours:
            tr.multinomial(probs, k)
        assert str(ours.value) == str(theirs.value) == message


# ------------------------------------------------------------------------------- data order
def test_random_sampler_epochs():
    from torch.utils.data import RandomSampler

    seed_both(541)
    sampler = RandomSampler(range(103))
    for epoch in range(3):
        assert_same(tr.random_sampler_order(103), np.array(list(sampler)), f"epoch {epoch}")
    assert_same_state()


@pytest.mark.parametrize("with_generator", [False, True])
def test_dataloader_shuffle_epochs(with_generator):
    from torch.utils.data import DataLoader, TensorDataset

    seed_both(0)
    g = torch.Generator().manual_seed(5) if with_generator else None
    G = tr.Generator(5) if with_generator else None
    loader = DataLoader(TensorDataset(torch.arange(50)), batch_size=7, shuffle=True, generator=g)
    for epoch in range(3):
        order = torch.cat([batch[0] for batch in loader])
        assert_same(tr.dataloader_order(50, G), order, f"epoch {epoch}")
    assert_same_state()
    if with_generator:
        assert_same(G.state_bytes(), g.get_state())


# ------------------------------------------------------------------------------- initialisers
@pytest.mark.parametrize("seed", [0, 541, 2**32 + 5])
def test_linear_and_conv_default_init(seed):
    """nn.Linear/nn.Conv2d: kaiming_uniform_(a=sqrt(5)) on the weight, then the bias."""
    seed_both(seed)
    lin, conv = torch.nn.Linear(5, 3), torch.nn.Conv2d(1, 10, 5)
    for module, shape in ((lin, (3, 5)), (conv, (10, 1, 5, 5))):
        fan_in = math.prod(shape[1:])
        weight = tr.kaiming_uniform(shape, a=math.sqrt(5))
        bound = 1 / math.sqrt(fan_in)
        bias = tr.uniform(shape[0], -bound, bound)
        assert_same(weight, module.weight.detach(), f"{type(module).__name__}.weight")
        assert_same(bias, module.bias.detach(), f"{type(module).__name__}.bias")
    assert_same_state()


@pytest.mark.parametrize("mode, nonlinearity", [("fan_in", "relu"), ("fan_out", "tanh"),
                                                ("fan_in", "linear")])
def test_kaiming_uniform_variants(mode, nonlinearity):
    seed_both(2)
    w = torch.empty(8, 4, 3)
    torch.nn.init.kaiming_uniform_(w, mode=mode, nonlinearity=nonlinearity)
    assert_same(tr.kaiming_uniform((8, 4, 3), mode=mode, nonlinearity=nonlinearity), w)


@pytest.mark.parametrize("args", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, -2.0, 2.0),
                                  (0.0, 1.0, 1.0, 3.0), (0.0, 1.0, -0.2, 0.2),
                                  (0.0, 1.0, 2.5, 4.0)])
@pytest.mark.parametrize("shape", [(7,), (33,), (20, 30)])
@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
def test_trunc_normal(args, shape, dtypes):
    """Both of torch 2.13's samplers: normal + redraw (wide windows), rejection (narrow)."""
    seed_both(541)
    far = args[0] < args[2] - 2 * args[1]        # both warn: mean more than 2 std from [a, b]
    with pytest.warns(UserWarning, match="2 std") if far else contextlib.nullcontext():
        ours = tr.trunc_normal(shape, *args, dtype=dtypes[0])
    with pytest.warns(UserWarning, match="2 std") if far else contextlib.nullcontext():
        theirs = torch.nn.init.trunc_normal_(torch.empty(shape, dtype=dtypes[1]), *args)
    assert_same(ours, theirs)
    assert np.all((ours >= dtypes[0](args[2])) & (ours <= dtypes[0](args[3])))
    assert_same_state()


# ------------------------------------------------------------------------------- exact fma
def _exact(a, b, c):
    return Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))


def _round_to(value: Fraction, dtype):
    """Correct rounding (ties to even) of a rational to float32/float64."""
    lo = dtype(float(value))           # float() rounds to nearest double
    if dtype is np.float32:            # re-round from the exact value, not from the double
        cand = [np.nextafter(lo, dtype(-np.inf)), lo, np.nextafter(lo, dtype(np.inf))]
        dists = [abs(Fraction(float(x)) - value) for x in cand]
        best = min(dists)
        ties = [x for x, d in zip(cand, dists) if d == best]
        return min(ties, key=lambda x: int(np.array(x).view(np.int32)) & 1)
    return lo


def test_fma_helpers_round_once():
    """_fma32/_fma64 against exact rational arithmetic, on random operands and on cases that
    fool a plain evaluation (the sum lands exactly between two floats, the dropped bits
    decide)."""
    rng = np.random.default_rng(0)
    # float32: a*b + c = 256 + 2^-16 + 2^-62, just above the midpoint of 256 and 256 + 2^-15
    tricky32 = (np.float32(1 + 2**-23), np.float32(-(1 - 2**-23) * 2**-16),
                np.float32(256 + 2**-15))
    naive = np.float32(np.float64(tricky32[0]) * np.float64(tricky32[1]) + np.float64(tricky32[2]))
    assert naive == np.float32(256)                  # rounding twice picks the wrong side
    a32, b32, c32 = (np.append(rng.standard_normal(300).astype(np.float32), t) for t in tricky32)
    for x, y, z, r in zip(a32, b32, c32, fma32(a32, b32, c32)):
        assert r == _round_to(_exact(x, y, z), np.float32), (x, y, z)
    assert fma32(*tricky32)[()] == np.float32(256 + 2**-15)
    # float64: a*b = 128 - 2^-97, + 2^60 + 256 sits just below the midpoint 2^60 + 384
    tricky64 = (1 + 2**-52, 128 * (1 - 2**-52), 2.0**60 + 256)
    assert tricky64[0] * tricky64[1] + tricky64[2] == 2.0**60 + 512   # the plain result
    a64, b64, c64 = (np.append(rng.standard_normal(300), t) for t in tricky64)
    for x, y, z, r in zip(a64, b64, c64, fma64(a64, b64, c64)):
        assert r == float(_exact(x, y, z)), (x, y, z)   # float(Fraction) rounds correctly
    assert fma64(*tricky64) == 2.0**60 + 256


ARGUMENT_ERRORS = [   # (ours, torch's): the same class and message
    (lambda: tr.uniform(3, 1.0, 0.0), lambda: torch.empty(3).uniform_(1.0, 0.0)),
    (lambda: tr.uniform(3, 0.0, float("inf")), lambda: torch.empty(3).uniform_(0, float("inf"))),
    (lambda: tr.uniform(3, -1e39, 0.0), lambda: torch.empty(3).uniform_(-1e39, 0.0)),
    (lambda: tr.uniform(3, -1e309, 0.0, np.float64),
     lambda: torch.empty(3, dtype=torch.float64).uniform_(-1e309, 0.0)),
    (lambda: tr.uniform(3, -3e38, 3e38), lambda: torch.empty(3).uniform_(-3e38, 3e38)),
    (lambda: tr.rand(3, np.int32), lambda: torch.rand(3, dtype=torch.int32)),
    (lambda: tr.randn(3, np.int64), lambda: torch.randn(3, dtype=torch.int64)),
    (lambda: tr.normal(3, 0.0, -0.5), lambda: torch.empty(3).normal_(0.0, -0.5)),
    (lambda: tr.normal(3, 0.0, float("nan")), lambda: torch.empty(3).normal_(0, float("nan"))),
    (lambda: tr.exponential(3, 0.0), lambda: torch.empty(3).exponential_(0.0)),
    (lambda: tr.exponential(3, 1.0, np.int64),
     lambda: torch.empty(3, dtype=torch.int64).exponential_()),
    (lambda: tr.bernoulli(1.5, (3,)), lambda: torch.empty(3).bernoulli_(1.5)),
    (lambda: tr.bernoulli(np.array([1, 0])), lambda: torch.bernoulli(torch.tensor([1, 0]))),
    (lambda: tr.rand((2, -1)), lambda: torch.rand(2, -1)),
    (lambda: tr.randperm(-1), lambda: torch.randperm(-1)),
    (lambda: tr.randperm(2**24 + 2, np.float32),
     lambda: torch.randperm(2**24 + 2, dtype=torch.float32)),
    (lambda: tr.randperm(129, np.int8), lambda: torch.randperm(129, dtype=torch.int8)),
    (lambda: tr.randperm(2, np.bool_), lambda: torch.randperm(2, dtype=torch.bool)),
    (lambda: tr.randint(-1, 5, (3,), np.uint8),
     lambda: torch.randint(-1, 5, (3,), dtype=torch.uint8)),
    (lambda: tr.randint(0, 2**40, (3,), np.int32),
     lambda: torch.randint(0, 2**40, (3,), dtype=torch.int32)),
    (lambda: tr.randint(-40000, 5, (3,), np.int16),
     lambda: torch.randint(-40000, 5, (3,), dtype=torch.int16)),
    (lambda: tr.random_fill(3, np.bool_, 3, None),
     lambda: torch.empty(3, dtype=torch.bool).random_(3, None)),
    (lambda: tr.random_fill(3, np.int8, -(2**63), None),
     lambda: torch.empty(3, dtype=torch.int8).random_(-(2**63), None)),
]


@pytest.mark.parametrize("ours, theirs", ARGUMENT_ERRORS)
def test_argument_errors_are_torchs(ours, theirs):
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert str(got.value) == str(expected.value).split("  (Could this")[0].strip()


def test_the_module_never_imports_torch():
    import subprocess
    import sys

    code = ("import sys, tinygrad_sgd.random as r; r.randn(20); r.multinomial(r.rand(5), 2); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
