"""Edges of the random draws and of a few linalg functions, against torch 2.13 after the same
``manual_seed`` (bit for bit, generator state bytes included):

* fills of non-contiguous tensors go in memory order (torch's TensorIterator), and
  ``normal_`` of a non-contiguous tensor takes torch's per-element path at any size;
* ``*_like`` keep the input's layout (``preserve_format``): the same strides, drawn in memory
  order; ``multinomial`` of a transposed matrix draws its exponentials column by column;
* float16 draws; ``poisson``; ``random.fork_rng``; the ``from``/``to`` keywords;
* ``linalg.lstsq(driver='gels')`` refusing a rank-deficient matrix, ``vander``, ``pinv(rcond)``,
  ``matrix_rank(tol)``, lower-case ``UPLO``, ``cond`` of empty matrices.
"""
import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")

DTYPES = [(torch.float32, tg.float32), (torch.float64, tg.float64),
          (torch.float16, tg.float16)]
DTYPE_IDS = ["float32", "float64", "float16"]


def outcome(fn):
    """``fn()``'s array and strides, or its exception as ``(type name, message)``."""
    try:
        result = fn()
    except Exception as e:          # noqa: BLE001  (compared with torch's)
        return type(e).__name__.lstrip("_"), str(e)
    return result.numpy(), result.stride()


def run_both(make, seed=7, generator_seed=None):
    """``make(m, gen)`` for m = torch, then tinygrad_sgd, each after manual_seed(seed) (and
    with a fresh Generator(generator_seed) when given); the outcomes and the state bytes of
    the generator drawn from."""
    results = []
    for m in (torch, tg):
        m.manual_seed(seed)
        gen = None if generator_seed is None else m.Generator().manual_seed(generator_seed)
        got = outcome(lambda: make(m, gen))
        state = (gen.get_state() if gen is not None else m.get_rng_state()).numpy()
        results.append((got, state))
    return results


def assert_same(make, seed=7, generator_seed=None, strides=True):
    (theirs, t_state), (ours, o_state) = run_both(make, seed, generator_seed)
    if isinstance(theirs[0], str) or isinstance(ours[0], str):
        assert isinstance(theirs[0], str) and isinstance(ours[0], str), (theirs, ours)
        assert ours == theirs
    else:
        assert ours[0].dtype == theirs[0].dtype
        assert ours[0].shape == theirs[0].shape
        if not np.array_equal(ours[0], theirs[0], equal_nan=True):
            bad = np.flatnonzero(ours[0].ravel() != theirs[0].ravel())
            raise AssertionError(f"{bad.size} of {ours[0].size} differ, first at {bad[:5]}: "
                                 f"{ours[0].ravel()[bad[:3]]} vs {theirs[0].ravel()[bad[:3]]}")
        if strides:
            assert ours[1] == theirs[1], f"strides {ours[1]} != torch's {theirs[1]}"
    assert np.array_equal(o_state, t_state), "generator state differs after the draw"


# ------------------------------------------------------------------ fills of views
VIEWS = {
    "transposed 2x3": lambda m, dt: m.zeros(2, 3, dtype=dt).t(),
    "transposed 4x20": lambda m, dt: m.zeros(4, 20, dtype=dt).t(),
    "rows with a step": lambda m, dt: m.zeros(6, 6, dtype=dt)[::2],
    "columns with a step": lambda m, dt: m.zeros(6, 6, dtype=dt)[:, ::2],
    "stepped, transposed": lambda m, dt: m.zeros(8, 6, dtype=dt)[::2].t(),
    "permuted 3-d": lambda m, dt: m.zeros(2, 3, 4, dtype=dt).permute(2, 0, 1),
    "permuted 3-d, 60": lambda m, dt: m.zeros(3, 4, 5, dtype=dt).permute(1, 2, 0),
    "channels_last": lambda m, dt: m.zeros(2, 3, 4, 5, dtype=dt).contiguous(
        memory_format=m.channels_last),
    "1-d with a step, 20": lambda m, dt: m.zeros(40, dtype=dt)[::2],
    "1-d with a step, 5": lambda m, dt: m.zeros(10, dtype=dt)[::2],
    "size-1 dim": lambda m, dt: m.zeros(4, 1, 3, dtype=dt).permute(2, 1, 0),
    "narrowed": lambda m, dt: m.zeros(5, 8, dtype=dt)[1:4, 2:7],
    "diagonal": lambda m, dt: m.zeros(5, 5, dtype=dt).diagonal(),
    "contiguous": lambda m, dt: m.zeros(5, 7, dtype=dt),
    "expanded (an error)": lambda m, dt: m.zeros(20, dtype=dt).expand(2, 20),
}
FILLS = {
    "uniform_": lambda x, g: x.uniform_(-2, 3, generator=g),
    "normal_": lambda x, g: x.normal_(1, 2, generator=g),
    "exponential_": lambda x, g: x.exponential_(2, generator=g),
    "bernoulli_": lambda x, g: x.bernoulli_(0.3, generator=g),
    "random_(0, 100)": lambda x, g: x.random_(0, 100, generator=g),
    "random_()": lambda x, g: x.random_(generator=g),
    "geometric_": lambda x, g: x.geometric_(0.3, generator=g),
    "cauchy_": lambda x, g: x.cauchy_(generator=g),
    "log_normal_": lambda x, g: x.log_normal_(generator=g),
}


@pytest.mark.parametrize("fill", FILLS, ids=list(FILLS))
@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_fills_go_in_memory_order(view, fill):
    for (td, od) in DTYPES:
        for generator_seed in (None, 11):
            assert_same(lambda m, g: FILLS[fill](
                VIEWS[view](m, td if m is torch else od), g),
                generator_seed=generator_seed, strides=False)


def test_normal_of_a_non_contiguous_tensor_draws_element_by_element():
    """torch's first per-element normal after seed 0 is 1.5410; the block path starts -1.1258."""
    for m in (torch, tg):
        m.manual_seed(0)
        first = m.zeros(4, 20).t().normal_()[0, 0].item()
        assert first == pytest.approx(1.5410, abs=1e-4)
        m.manual_seed(0)
        assert m.zeros(20, 4).normal_()[0, 0].item() == pytest.approx(-1.1258, abs=1e-4)


# ------------------------------------------------------------------ *_like, multinomial
def _conv(m, dt):
    return m.nn.functional.conv2d(m.ones(2, 3, 5, 5, dtype=dt), m.ones(4, 3, 3, 3, dtype=dt))


LIKE_INPUTS = {
    "transposed 2x3": lambda m, dt: m.zeros(2, 3, dtype=dt).t(),
    "transposed 20x5": lambda m, dt: m.zeros(20, 5, dtype=dt).t(),
    "stepped, transposed": lambda m, dt: m.zeros(8, 6, dtype=dt)[::2].t(),
    "stepped rows": lambda m, dt: m.zeros(8, 6, dtype=dt)[::2],
    "expanded": lambda m, dt: m.zeros(20, dtype=dt).expand(3, 20),
    "expanded, transposed": lambda m, dt: m.zeros(20, dtype=dt).expand(3, 20).t(),
    "permuted 3-d": lambda m, dt: m.zeros(2, 3, 4, dtype=dt).permute(2, 0, 1),
    "channels_last": lambda m, dt: m.zeros(2, 3, 4, 5, dtype=dt).contiguous(
        memory_format=m.channels_last),
    "transposed, times 2": lambda m, dt: m.ones(4, 20, dtype=dt).t() * 2,
    "zeros_like of a permute": lambda m, dt: m.zeros_like(
        m.zeros(2, 3, 4, dtype=dt).permute(2, 0, 1)),
    "contiguous": lambda m, dt: m.zeros(5, 7, dtype=dt),
}
LIKES = {
    "rand_like": lambda m, x, g: m.rand_like(x, generator=g),
    "randn_like": lambda m, x, g: m.randn_like(x, generator=g),
    "randint_like": lambda m, x, g: m.randint_like(x, 3, 50, generator=g),
    "zeros_like": lambda m, x, g: m.zeros_like(x),
    "ones_like": lambda m, x, g: m.ones_like(x),
    "full_like": lambda m, x, g: m.full_like(x, 3),
    "rand_like, contiguous_format": lambda m, x, g: m.rand_like(
        x, generator=g, memory_format=m.contiguous_format),
    "then uniform_": lambda m, x, g: m.zeros_like(x).uniform_(generator=g),
    "then normal_": lambda m, x, g: m.zeros_like(x).normal_(generator=g),
    "bernoulli_(p tensor)": lambda m, x, g: m.zeros_like(x).bernoulli_(
        m.full((x.shape[-1],), 0.4, dtype=x.dtype), generator=g),
}


@pytest.mark.parametrize("like", LIKES, ids=list(LIKES))
@pytest.mark.parametrize("source", LIKE_INPUTS, ids=list(LIKE_INPUTS))
def test_like_keeps_the_layout_and_draws_in_memory_order(source, like):
    for (td, od) in DTYPES:
        assert_same(lambda m, g: LIKES[like](m, LIKE_INPUTS[source](
            m, td if m is torch else od), g), generator_seed=11,
            strides=not like.startswith("bernoulli"))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_draws_into_a_convolution_result_are_in_index_order(dtype):
    """The library keeps a convolution's result batch-innermost; torch's is contiguous."""
    for make in (lambda m, g: m.randn_like(_conv(m, dt(m, dtype)), generator=g),
                 lambda m, g: m.rand_like(m.relu(_conv(m, dt(m, dtype))), generator=g),
                 lambda m, g: _conv(m, dt(m, dtype)).normal_(generator=g),
                 lambda m, g: _conv(m, dt(m, dtype))[:, 1].uniform_(generator=g),
                 lambda m, g: m.nn.functional.dropout(_conv(m, dt(m, dtype)), 0.3)):
        assert_same(make, strides=False)


def dt(m, torch_dtype):
    return torch_dtype if m is torch else getattr(tg, str(torch_dtype).split(".")[1])


def test_like_memory_format_channels_last():
    assert_same(lambda m, g: m.rand_like(m.zeros(2, 3, 4, 5), memory_format=m.channels_last))
    assert_same(lambda m, g: m.empty_like(m.zeros(2, 3, 4), memory_format=m.channels_last))


PROBS = {
    "contiguous": lambda m, dt: m.tensor([[.1, .2, .3, .0], [.4, .5, .6, .05],
                                          [.3, .3, .2, .2]], dtype=dt),
    "transposed": lambda m, dt: PROBS["contiguous"](m, dt).t(),
    "stepped columns": lambda m, dt: m.cat([PROBS["contiguous"](m, dt)] * 2, 1)[:, ::2],
    "stepped, transposed": lambda m, dt: m.cat([PROBS["contiguous"](m, dt)] * 2, 0)[::2].t(),
    "a transposed row": lambda m, dt: PROBS["contiguous"](m, dt).t()[1],
}


@pytest.mark.parametrize("samples,replacement", [(1, False), (2, False), (3, False),
                                                 (1, True), (5, True)])
@pytest.mark.parametrize("probs", PROBS, ids=list(PROBS))
@pytest.mark.parametrize("dtypes", DTYPES, ids=DTYPE_IDS)
def test_multinomial_of_any_layout(probs, samples, replacement, dtypes):
    for seed in range(4):
        assert_same(lambda m, g: m.multinomial(
            PROBS[probs](m, dtypes[0] if m is torch else dtypes[1]), samples, replacement),
            seed=seed)


def test_bernoulli_with_a_transposed_probability_tensor():
    """bernoulli_(p): torch walks self and p together, self's memory order first."""
    for x in (lambda m: m.zeros(3, 20), lambda m: m.zeros(20, 3).t()):
        assert_same(lambda m, g: x(m).bernoulli_(m.rand(3, 20).t().t()), strides=False)
        assert_same(lambda m, g: x(m).bernoulli_(m.rand(20, 3).t()), strides=False)
    assert_same(lambda m, g: m.bernoulli(m.full((3, 20), .4).t()))
    assert_same(lambda m, g: m.bernoulli(m.full((3, 20), .4).t(), 0.3))
    assert_same(lambda m, g: m.normal(m.zeros(3, 20).t(), m.ones(3, 20).t()))


# ------------------------------------------------------------------ float16
HALF = {
    "rand 3": lambda m, g: m.rand(3, dtype=m.float16, generator=g),
    "rand 1000": lambda m, g: m.rand(1000, dtype=m.float16, generator=g),
    "randn 5": lambda m, g: m.randn(5, dtype=m.float16, generator=g),
    "randn 16": lambda m, g: m.randn(16, dtype=m.float16, generator=g),
    "randn 37": lambda m, g: m.randn(37, dtype=m.float16, generator=g),
    "randn 1001": lambda m, g: m.randn(1001, dtype=m.float16, generator=g),
    "uniform_": lambda m, g: m.empty(300, dtype=m.float16).uniform_(-3, 5, generator=g),
    "uniform_ to 65504": lambda m, g: m.empty(300, dtype=m.float16).uniform_(
        0, 65504, generator=g),
    "normal_": lambda m, g: m.empty(70, dtype=m.float16).normal_(2.5, 0.3, generator=g),
    "exponential_": lambda m, g: m.empty(300, dtype=m.float16).exponential_(3, generator=g),
    "rand_like": lambda m, g: m.rand_like(m.zeros(5, 9, dtype=m.float16), generator=g),
    "randn_like": lambda m, g: m.randn_like(m.zeros(5, 9, dtype=m.float16), generator=g),
    "normal(mean, std, size)": lambda m, g: m.normal(2., 3., (40,), dtype=m.float16,
                                                     generator=g),
    "normal(mean tensor)": lambda m, g: m.normal(m.zeros(40, dtype=m.float16), generator=g),
    "bernoulli(p)": lambda m, g: m.bernoulli(m.rand(50, dtype=m.float16), generator=g),
    "bernoulli_(0.3)": lambda m, g: m.empty(50, dtype=m.float16).bernoulli_(0.3, generator=g),
    "multinomial": lambda m, g: m.multinomial(m.rand(4, 8, dtype=m.float16), 3,
                                              generator=g),     # (no tied scores p / q)
    "multinomial, replacement": lambda m, g: m.multinomial(
        m.rand(4, 30, dtype=m.float16), 5, True, generator=g),
    "dropout": lambda m, g: m.nn.functional.dropout(m.ones(50, dtype=m.float16), 0.3),
    "out of range": lambda m, g: m.empty(2, dtype=m.float16).uniform_(0, 1e5),
    "too wide": lambda m, g: m.empty(2, dtype=m.float16).uniform_(-6e4, 6e4),
}


@pytest.mark.parametrize("case", HALF, ids=list(HALF))
def test_float16_draws(case):
    for seed in (0, 3):
        assert_same(lambda m, g: HALF[case](m, g), seed=seed)
        if case != "dropout":
            assert_same(lambda m, g: HALF[case](m, g), seed=seed, generator_seed=5)


# ------------------------------------------------------------------ poisson
RATES = {
    "mixed": [0., 0.5, 3., 9.99, 10., 10.5, 30., 1000., 7., 2.5],
    "small": [0.1, 1., 4., 8.],
    "large": [10., 55., 1e4, 1e6],
    "zeros": [0., 0., 0.],
    "infinite": [float("inf"), 2.],
    "negative (an error)": [1., -1., 2.],
    "NaN (an error)": [float("nan")],
}


@pytest.mark.parametrize("dtypes", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("rates", RATES, ids=list(RATES))
def test_poisson_draw_for_draw(rates, dtypes):
    """torch's sampler (Knuth below 10, Hörmann's PTRS from 10), replayed: the same counts
    and the same generator state after (an error too spends the draws before it)."""
    for seed in range(3):
        for generator_seed in (None, 9):
            assert_same(lambda m, g: m.poisson(
                m.tensor(RATES[rates] * 5, dtype=dtypes[0] if m is torch else dtypes[1])
                .reshape(-1, len(RATES[rates])), generator=g),
                seed=seed, generator_seed=generator_seed)


def test_poisson_of_a_transposed_tensor_and_errors():
    assert_same(lambda m, g: m.poisson(m.full((3, 20), 4.).t() * m.arange(3.)))
    assert_same(lambda m, g: m.poisson(m.tensor([1, 2])))
    assert_same(lambda m, g: m.poisson(m.tensor(12.)))


# ------------------------------------------------------------------ fork_rng
def _draws(m):
    return [m.randn(3), m.randn(1), m.rand(2)]     # the odd randn leaves a cached normal


@pytest.mark.parametrize("case", ["plain", "enabled=False", "devices=[]", "an error inside",
                                  "nested"])
def test_fork_rng_puts_the_generator_back(case):
    results = []
    for m in (torch, tg):
        m.manual_seed(3)
        m.randn(1)                                  # a cached second normal, to be kept
        before = m.get_rng_state().numpy().copy()
        kwargs = {"enabled": False} if case == "enabled=False" else \
            {"devices": []} if case == "devices=[]" else {}
        try:
            with m.random.fork_rng(**kwargs):
                inside = _draws(m)
                if case == "nested":
                    with m.random.fork_rng():
                        _draws(m)
                    inside += _draws(m)
                if case == "an error inside":
                    raise KeyError("inside")
        except KeyError:
            pass
        after = m.get_rng_state().numpy().copy()
        results.append((before, after, [t.numpy() for t in inside] + [
            t.numpy() for t in _draws(m)]))
    (t_before, t_after, t_values), (o_before, o_after, o_values) = results
    assert np.array_equal(o_before, t_before)
    assert np.array_equal(o_after, t_after)
    assert np.array_equal(o_after, o_before) == (case != "enabled=False")
    for t, o in zip(t_values, o_values):
        np.testing.assert_array_equal(o, t)


def test_fork_rng_refuses_a_device():
    with pytest.raises(AssertionError, match="CUDA"):
        with torch.random.fork_rng(devices=[0]):
            pass
    with pytest.raises(AssertionError, match="CUDA"):
        with tg.random.fork_rng(devices=[0]):
            pass


# ------------------------------------------------------------------ arguments
ARGUMENTS = {
    "uniform_(from=, to=)": lambda m: m.empty(3).uniform_(**{"from": 1, "to": 2}),
    "uniform_(to=)": lambda m: m.empty(3).uniform_(to=2),
    "uniform_(1, to=)": lambda m: m.empty(3).uniform_(1, to=2),
    "uniform_(from=tensor)": lambda m: m.empty(3).uniform_(**{"from": m.tensor(1.)}),
    "uniform_(a=) (an error)": lambda m: m.empty(3).uniform_(a=1),
    "uniform_(1, 2, 3) (an error)": lambda m: m.empty(3).uniform_(1, 2, 3),
    "random_(to=)": lambda m: m.empty(3).random_(to=5),
    "random_(from=, to=)": lambda m: m.empty(3).random_(**{"from": 2, "to": 5}),
    "random_(to=, from=)": lambda m: m.empty(3).random_(**{"to": 5, "from": 2}),
    "random_(2, to=)": lambda m: m.empty(3).random_(2, to=5),
    "random_(from=, to=None)": lambda m: m.empty(3).random_(**{"from": 2, "to": None}),
    "random_(2, None)": lambda m: m.empty(3).random_(2, None),
    "random_(tensor)": lambda m: m.empty(3).random_(m.tensor(2)),
    "random_(from=) (an error)": lambda m: m.empty(3).random_(**{"from": 2}),
    "random_(None) (an error)": lambda m: m.empty(3).random_(None),
    "random_(2.5) (an error)": lambda m: m.empty(3).random_(2.5),
    "random_(True) (an error)": lambda m: m.empty(3).random_(True),
    "random_(a=) (an error)": lambda m: m.empty(3).random_(a=2),
    "normal_(mean=, std=)": lambda m: m.empty(3).normal_(mean=1., std=2.),
    "exponential_(lambd=)": lambda m: m.empty(3).exponential_(lambd=2.),
    "bernoulli_(p=)": lambda m: m.empty(3).bernoulli_(p=.2),
    "rand() (an error)": lambda m: m.rand(),
    "randn() (an error)": lambda m: m.randn(),
    "rand(())": lambda m: m.rand(()),
    "rand(size=())": lambda m: m.rand(size=()),
    "randint(3.7, size) (an error)": lambda m: m.randint(3.7, (2,)),
    "randint(3.0, size) (an error)": lambda m: m.randint(3.0, (2,)),
    "randint(0.5, 3.7, size) (an error)": lambda m: m.randint(0.5, 3.7, (2,)),
    "randint(0, 3.0, size) (an error)": lambda m: m.randint(0, 3.0, (2,)),
    "randint(True, size) (an error)": lambda m: m.randint(True, (2,)),
    "randint(tensor, size)": lambda m: m.randint(m.tensor(3), (2,)),
    "randint(3, size=)": lambda m: m.randint(3, size=(2,)),
    "randint(low=, high=, size=)": lambda m: m.randint(low=1, high=3, size=(2,)),
}


@pytest.mark.parametrize("case", ARGUMENTS, ids=list(ARGUMENTS))
def test_arguments_as_torch_takes_them(case):
    (theirs, _), (ours, _) = run_both(lambda m, g: ARGUMENTS[case](m))
    if "(an error)" in case:
        assert ours[0] == theirs[0] == "TypeError", (theirs, ours)
    else:
        assert not isinstance(ours[0], str), ours
        np.testing.assert_array_equal(ours[0], theirs[0])


# ------------------------------------------------------------------ linalg
GELS = {
    "rank 1 of 2 (3x2)": [[1., 2], [2, 4], [3, 6]],
    "a zero column": [[1., 0], [2, 0], [3, 0]],
    "a zero first column": [[0., 1], [0, 2], [0, 3]],
    "a zero third pivot": [[1., 0, 0], [0, 1, 0], [0, 0, 0]],
    "wide, rank 1": [[1., 2, 3], [2, 4, 6]],
    "wide, a zero row": [[1., 2, 3], [0, 0, 0]],
    "nearly singular": [[1., 2], [2, 4.000001], [3, 6]],
    "thirds, nearly singular": [[1 / 3, 2 / 3], [1 / 7, 2 / 7], [1 / 11, 2 / 11]],
    "square, singular": [[1., 2], [2, 4]],
    "all zeros": [[0., 0, 0], [0, 0, 0], [0, 0, 0]],
    "full rank": [[1., 2], [3, 4], [5, 7]],
    "batch, second singular": [[[1., 0], [0, 1], [1, 1]], [[1., 2], [2, 4], [3, 6]]],
    "batch, first singular": [[[1., 2], [2, 4], [3, 6]], [[1., 2], [2, 4], [3, 6]]],
    "empty": np.zeros((0, 2)),
}


@pytest.mark.parametrize("dtypes", DTYPES[:2], ids=DTYPE_IDS[:2])
@pytest.mark.parametrize("case", GELS, ids=list(GELS))
def test_lstsq_gels_refuses_an_exact_zero_pivot(case, dtypes):
    """gels is QR without pivoting: torch raises LinAlgError ("error code" = the position of
    the first exact zero on R's diagonal); a nearly singular matrix gives a solution."""
    results = []
    for m, dtype in zip((torch, tg), dtypes):
        A = m.tensor(np.asarray(GELS[case]), dtype=dtype)
        B = m.ones(A.shape[:-1] + (1,), dtype=dtype)
        try:
            m.linalg.lstsq(A, B, driver="gels")
            results.append(None)
        except RuntimeError as e:
            assert isinstance(e, m.linalg.LinAlgError)
            results.append(str(e))
    assert results[1] == results[0]


def test_lstsq_gels_full_rank_solution_is_torchs():
    A = [[1., 2], [3, 4], [5, 7]]
    ours = tg.linalg.lstsq(tg.tensor(A), tg.ones(3, 1), driver="gels").solution
    theirs = torch.linalg.lstsq(torch.tensor(A), torch.ones(3, 1), driver="gels").solution
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)


VANDER = {
    "float": lambda m: m.linalg.vander(m.tensor([1., 2, 3])),
    "N=2": lambda m: m.linalg.vander(m.tensor([1., 2, 3]), N=2),
    "N=5": lambda m: m.linalg.vander(m.tensor([1.5, -2, 3]), N=5),
    "int": lambda m: m.linalg.vander(m.tensor([1, 2, 3])),
    "float64": lambda m: m.linalg.vander(m.tensor([0.1, 2, 3], dtype=m.float64)),
    "batch": lambda m: m.linalg.vander(m.tensor([[1., 2], [3, 4]])),
    "keyword x=": lambda m: m.linalg.vander(x=m.tensor([1., 2])),
    "N=1 (an error)": lambda m: m.linalg.vander(m.tensor([1., 2, 3]), N=1),
    "N=0 (an error)": lambda m: m.linalg.vander(m.tensor([1., 2, 3]), N=0),
    "0-d (an error)": lambda m: m.linalg.vander(m.tensor(2.)),
    "empty (an error)": lambda m: m.linalg.vander(m.zeros(0)),
    "bool (an error)": lambda m: m.linalg.vander(m.tensor([True, False])),
    "float16 (an error)": lambda m: m.linalg.vander(m.tensor([1., 2], dtype=m.float16)),
}


@pytest.mark.parametrize("case", VANDER, ids=list(VANDER))
def test_vander(case):
    assert_same(lambda m, g: VANDER[case](m))


def test_vander_gradient():
    grads = []
    for m in (torch, tg):
        x = m.tensor([1.5, -2., 0.], requires_grad=True)
        (m.linalg.vander(x, N=4) * m.arange(12.).reshape(3, 4)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


SMALL = [[1., 0], [0, 1e-3]]
TOLERANCES = {
    "pinv(rcond=)": lambda m: m.linalg.pinv(m.tensor(SMALL), rcond=0.01),
    "pinv(A, rcond)": lambda m: m.linalg.pinv(m.tensor(SMALL), 0.01),
    "pinv(A, rcond, hermitian)": lambda m: m.linalg.pinv(m.tensor(SMALL), 1e-4, True),
    "pinv(rcond=tensor)": lambda m: m.linalg.pinv(m.tensor(SMALL), rcond=m.tensor(0.01)),
    "pinv(rcond=, rtol=) (an error)": lambda m: m.linalg.pinv(m.eye(2), rcond=.1, rtol=.1),
    "pinv(rcond=, atol=) (an error)": lambda m: m.linalg.pinv(m.eye(2), rcond=.1, atol=.1),
    "matrix_rank(tol=)": lambda m: m.linalg.matrix_rank(m.tensor(SMALL), tol=0.01),
    "matrix_rank(A, tol)": lambda m: m.linalg.matrix_rank(m.tensor(SMALL), 1e-4),
    "matrix_rank(A, tol, hermitian)": lambda m: m.linalg.matrix_rank(m.tensor(SMALL), .01,
                                                                     True),
    "matrix_rank(tol=negative)": lambda m: m.linalg.matrix_rank(m.tensor(SMALL), tol=-.01),
    "matrix_rank(tol=tensor)": lambda m: m.linalg.matrix_rank(m.tensor(SMALL),
                                                              tol=m.tensor(0.01)),
    "matrix_rank(tol=, atol=) (an error)": lambda m: m.linalg.matrix_rank(m.eye(2), tol=.1,
                                                                          atol=.1),
}


@pytest.mark.parametrize("case", TOLERANCES, ids=list(TOLERANCES))
def test_deprecated_tolerances(case):
    (theirs, _), (ours, _) = run_both(lambda m, g: TOLERANCES[case](m))
    if "(an error)" in case:
        assert ours[0] == theirs[0] == "TypeError", (theirs, ours)
    else:
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)


UPLO_MATRIX = [[2., 1], [3, 2]]


@pytest.mark.parametrize("uplo", ["L", "U", "l", "u", "x", "LU", ""])
def test_eigh_uplo_in_either_case(uplo):
    for fn in (lambda m: m.linalg.eigvalsh(m.tensor(UPLO_MATRIX), UPLO=uplo),
               lambda m: m.linalg.eigh(m.tensor(UPLO_MATRIX), UPLO=uplo).eigenvalues):
        (theirs, _), (ours, _) = run_both(lambda m, g: fn(m))
        if isinstance(theirs[0], str):
            assert ours == theirs
        else:
            np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)


COND_SHAPES = [(0, 0), (2, 0, 0), (0, 2, 2), (0, 3), (3, 0)]
COND_ORDERS = [None, 2, -2, "fro", "nuc", 1, -1, float("inf"), -float("inf")]


@pytest.mark.parametrize("p", COND_ORDERS, ids=[str(p) for p in COND_ORDERS])
@pytest.mark.parametrize("shape", COND_SHAPES, ids=[str(s) for s in COND_SHAPES])
def test_cond_of_empty_matrices(shape, p):
    for dtypes in DTYPES[:2]:
        assert_same(lambda m, g: m.linalg.cond(
            m.zeros(shape, dtype=dtypes[0] if m is torch else dtypes[1]), p))
