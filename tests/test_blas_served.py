"""NumPy's OpenBLAS sgemm called from compiled code (kernels/compiled/blas.py): the product a
spinning worker runs without the GIL must be np.matmul's to the bit — for every way NumPy
passes the operands (transposed views as CblasTrans) — and a linear layer's two gradients,
side by side on two threads, those of one thread."""
import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import linalg, threads
from tinygrad_sgd.kernels.backend import numba_available

pytestmark = pytest.mark.skipif(not numba_available(), reason="numba is not installed")

SHAPES = [(64, 50, 320), (320, 50, 64), (50, 64, 320), (7, 3, 5), (1, 1, 1), (33, 17, 65),
          (128, 256, 96)]


@pytest.fixture
def fast(restore_backend):
    kernels.set_backend("numba")
    before = tg.get_num_threads()
    tg.set_num_threads(2)             # (one thread: nothing is served)
    yield
    tg.set_num_threads(before)


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("a_t", [False, True], ids=["a", "aT"])
@pytest.mark.parametrize("b_t", [False, True], ids=["b", "bT"])
def test_the_served_product_is_matmuls_bit_for_bit(fast, m, k, n, a_t, b_t):
    from tinygrad_sgd.kernels.compiled import blas
    assert blas.sgemm_address() is not None
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    a = np.ascontiguousarray(a.T).T if a_t else a           # a transposed view, F-ordered
    b = np.ascontiguousarray(b.T).T if b_t else b
    out = np.full((m, n), np.nan, np.float32)
    calls = linalg._served_product(a, b, out)
    assert calls is not None         # (a 1-row or 1-column view is C-contiguous too: taken as is)
    assert calls[0][4:6] == (int(not a.flags.c_contiguous), int(not b.flags.c_contiguous))
    threads.run_calls(calls)
    assert np.array_equal(out.view(np.uint32), np.matmul(a, b).view(np.uint32))


def test_what_is_not_served_stays_a_python_job(fast):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5))
    assert linalg._served_product(a, b, np.empty((6, 5))) is None                 # float64
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    strided = np.zeros((6, 8), np.float32)[:, ::2]
    assert linalg._served_product(strided, b32, np.empty((6, 5), np.float32)) is None
    assert linalg._served_product(a32, b32, np.empty((6, 5), np.float32)) is not None
    tg.set_num_threads(1)
    assert linalg._served_product(a32, b32, np.empty((6, 5), np.float32)) is None
    tg.set_num_threads(2)
    kernels.set_backend("numpy")
    assert linalg._served_product(a32, b32, np.empty((6, 5), np.float32)) is None


@pytest.mark.parametrize("transposed_x", [False, True])
def test_linear_grads_on_two_threads_equal_one_thread(fast, monkeypatch, transposed_x):
    """The tutorial's fc1 backward (x is Fortran-ordered when it comes from the batch-innermost
    conv stack): dL/dx and dL/dW side by side — dL/dx served to the worker — are one thread's."""
    monkeypatch.setattr(threads, "_quiet_blas", True)
    monkeypatch.setattr(linalg, "PAIR_MIN_PRODUCT", 1)          # (fc1's products paired)
    rng = np.random.default_rng(5)
    g = rng.standard_normal((64, 50)).astype(np.float32)
    w = rng.standard_normal((50, 320)).astype(np.float32)
    x = rng.standard_normal((64, 320)).astype(np.float32)
    if transposed_x:
        x = np.asfortranarray(x)
    served = []
    real = threads.run_pair
    monkeypatch.setattr(linalg, "run_pair", lambda first, second, calls=None:
                        served.append(calls is not None) or real(first, second, calls))
    before = tg.get_num_threads()
    results = []
    try:
        for n in (1, 2):      # (OpenBLAS on one thread for the first: on two threads of its
            tg.set_num_threads(n)   # own it may sum a product in another order)
            dx, dw = threads.blas_single_threaded(linalg.linear_grads, g, w, x, layout_of=x)
            results.append((dx.copy(), dw.copy()))
    finally:
        tg.set_num_threads(before)
    assert served == [True]                 # paired (dx served) on two threads only
    for a, b in zip(*results):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    plain = threads.blas_single_threaded(lambda: ((w.T @ g.T).T if transposed_x else g @ w,
                                                  g.T @ x))   # (dx in x's layout: matmul's)
    assert np.array_equal(results[0][0].view(np.uint32), plain[0].view(np.uint32))
    assert np.array_equal(results[0][1].view(np.uint32), plain[1].view(np.uint32))


@pytest.mark.parametrize("rows", [64, 2000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_linear_layers_gradients_have_one_set_of_bits(fast, monkeypatch, rows, dtype):
    """OpenBLAS's float32 numbers depend on its thread count, so a linear layer's two gradient
    products are made on one BLAS thread each wherever they are paired: side by side, one after
    the other when the worker is busy, and as the graph's nodes under create_graph — the same
    bits all three ways (the fc1 of the tutorial at 64 rows, a larger batch at 2000)."""
    monkeypatch.setattr(threads, "_quiet_blas", True)
    monkeypatch.setattr(linalg, "PAIR_MIN_PRODUCT", 1)
    rng = np.random.default_rng(rows)
    arrays = (rng.standard_normal((rows, 320)), rng.standard_normal((50, 320)),
              rng.standard_normal(50))

    def grads(create_graph=False):
        x, w, b = (tg.Tensor(a.astype(dtype), requires_grad=True) for a in arrays)
        loss = tg.nn.functional.linear(x, w, b).square().sum()
        return [t.detach().numpy() for t in tg.autograd.grad(loss, [x, w, b],
                                                             create_graph=create_graph)]

    assert linalg.linear_grads_paired(np.zeros((rows, 50), dtype), np.zeros((50, 320), dtype),
                                      np.zeros((rows, 320), dtype))
    paired, graph = grads(), grads(create_graph=True)
    monkeypatch.setattr(linalg, "run_pair", lambda *args: False)      # the worker busy
    unpaired = grads()
    for p, g, u in zip(paired, graph, unpaired):
        np.testing.assert_array_equal(p, g)
        np.testing.assert_array_equal(p, u)
