"""The random module's kernels (:mod:`tinygrad_sgd.kernels.random`): MT19937's outputs drawn by
the compiled twin on NumPy's own state memory against NumPy's ``random_raw`` (outputs and the
state after, across block boundaries, from seeds and restored states), copies and pickles of a
generator, draws from two threads at once; the Bernoulli mask of either kernel set against
the plain comparison, bit for bit. (torch's own numbers: tests/test_random*.py.)"""
import copy
import pickle
import threading

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import random as kr
from tinygrad_sgd.kernels.backend import numba_available
from tinygrad_sgd.random.generator import Generator

needs_numba = pytest.mark.skipif(not numba_available(),
                                 reason="numba not importable (pip install 'numba==0.68.*')")


@pytest.fixture(params=["numpy", pytest.param("numba", marks=needs_numba)])
def backend(request):
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


def reference(gen):
    """A NumPy MT19937 in ``gen``'s state: what its draws must give."""
    ref = np.random.MT19937(0)
    ref.state = gen._bitgen.state
    return ref


# sizes on both sides of the compiled threshold, ending on, just before and after a block of 624
SIZES = [1, 5, 255, 256, 300, 623, 624, 625, 1000, 1247, 1248, 6400, 3, 20000]


def test_outputs_are_numpys_with_either_kernel_set(backend):
    for start in (Generator(0), Generator(2 ** 40 + 7), Generator(123).manual_seed(5)):
        ref = reference(start)
        for n in SIZES:
            out = start.random(n)
            expected = ref.random_raw(n)
            assert out.dtype == expected.dtype == np.uint64
            np.testing.assert_array_equal(out, expected, err_msg=f"{backend}, n={n}")
            assert start._bitgen.state["state"]["pos"] == ref.state["state"]["pos"]
            np.testing.assert_array_equal(start._bitgen.state["state"]["key"],
                                          ref.state["state"]["key"])


def test_outputs_after_a_restored_state_and_torch_bytes(backend):
    gen = Generator(9)
    gen.random(700)                                      # mid-block
    saved = gen.state_bytes()
    first = gen.random(5000)
    other = Generator(1).set_state(saved)                # a second generator, the same state
    np.testing.assert_array_equal(other.random(5000), first)
    np.testing.assert_array_equal(other.state_bytes(), gen.state_bytes())


@needs_numba
def test_the_compiled_twin_is_used_and_reads_the_generators_own_memory():
    previous = kernels.set_backend("numba")
    try:
        gen = Generator(3)
        words = gen._state_words()
        assert words.dtype == np.uint32 and words.shape == (625,)
        assert words.ctypes.data == gen._bitgen.ctypes.state_address
        assert words[624] == 624                          # freshly seeded: regenerate first
        gen.random(1000)
        assert words[624] == gen._bitgen.state["state"]["pos"] == 1000 - 624
        np.testing.assert_array_equal(words[:624], gen._bitgen.state["state"]["key"])
    finally:
        kernels.set_backend(previous)


def test_copies_and_pickles_draw_on_their_own_state(backend):
    gen = Generator(11)
    gen.random(1000)
    twin = copy.deepcopy(gen)
    pickled = pickle.loads(pickle.dumps(gen))
    shallow = copy.copy(gen)                              # (shares the bit generator, as torch's)
    expected = reference(gen).random_raw(3000)
    np.testing.assert_array_equal(twin.random(3000), expected)
    np.testing.assert_array_equal(pickled.random(3000), expected)
    np.testing.assert_array_equal(gen.random(3000), expected)   # untouched by the copies' draws
    expected = reference(gen).random_raw(300)
    np.testing.assert_array_equal(shallow.random(300), expected)
    expected = reference(shallow).random_raw(5)
    np.testing.assert_array_equal(gen.random(5), expected)       # one state between the two


def test_two_threads_drawing_at_once_share_the_sequence(backend):
    """Each call takes a contiguous run of the sequence (the bit generator's lock): together
    the two threads' outputs are the sequence's first 2·20·50,000, each run one of its blocks.
    (The compiled draw lets go of the GIL: without the lock the two runs overlapped.)"""
    gen, n = Generator(21), 50_000
    expected = reference(gen).random_raw(2 * 20 * n)
    runs = []

    def draw():
        for _ in range(20):
            runs.append(gen.random(n))
    threads = [threading.Thread(target=draw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = {int(r[0]): r for r in runs}
    blocks = expected.reshape(-1, n)
    assert len(starts) == len(blocks)
    for block in blocks:
        np.testing.assert_array_equal(starts[int(block[0])], block)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("p", [0.0, 1.0, 0.5, 1 / 3, 0.9, 1e-300, 1 - 2 ** -53, 2 ** -53])
def test_where_below_is_the_comparison_cast_and_scaled(backend, dtype, p):
    raw = Generator(5).random(2 * 3001)
    value = dtype(1.0) / dtype(0.3)
    out = kr.where_below(raw, p, value)
    expected = kr.below(raw, p).astype(dtype) * value
    assert out.dtype == np.dtype(dtype) and out.shape == (3001,)
    np.testing.assert_array_equal(out.view(np.uint8), expected.view(np.uint8))
    u = (((raw[0::2] << np.uint64(32)) | raw[1::2]) & np.uint64(2 ** 53 - 1)) * 2.0 ** -53
    np.testing.assert_array_equal(out != 0, u < p)          # the float comparison itself


def test_dropout_mask_is_the_same_with_either_kernel_set():
    masks = []
    for name in ["numpy"] + (["numba"] if numba_available() else []):
        previous = kernels.set_backend(name)
        try:
            tg.manual_seed(4)
            masks.append([tg.random.dropout_mask((64, 50), p, dt) for p in (0.5, 0.2)
                          for dt in (np.float32, np.float64)])
        finally:
            kernels.set_backend(previous)
    for a, b in zip(masks[0], masks[-1]):
        np.testing.assert_array_equal(a, b)
    assert {float(v) for v in np.unique(masks[0][0])} == {0.0, 2.0}
