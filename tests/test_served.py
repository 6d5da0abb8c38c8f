"""Served jobs (kernels/compiled/served.py): a spinning worker runs compiled kernels from a row
of numbers, without the GIL. What it computes must be exactly what the same kernel computes
when called from Python; what cannot be described exactly must go the Python way."""
import threading

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.kernels import threads
from tinygrad_sgd.kernels.backend import numba_available

pytestmark = pytest.mark.skipif(not numba_available(), reason="numba is not installed")


@pytest.fixture
def fast(monkeypatch):
    """The compiled kernels, two threads, OpenBLAS taken as quiet (the spinning workers run)."""
    from tinygrad_sgd import kernels
    previous, before = kernels.set_backend("numba"), tg.get_num_threads()
    monkeypatch.setattr(threads, "_quiet_blas", True)
    tg.set_num_threads(2)
    yield
    tg.set_num_threads(before)
    kernels.set_backend(previous)


def _rng():
    return np.random.default_rng(11)


def _cases():
    """(kernel, args) for each served kernel, on small float32 arrays (outputs zeroed)."""
    from tinygrad_sgd.kernels.compiled import blas, conv, conv_weight, elementwise, pool
    rng = _rng()
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)   # noqa: E731
    choice = rng.integers(0, 4, (3, 2, 2, 8)).astype(np.int8)
    pooled_choice = rng.integers(0, 4, (7, 2, 2, 8)).astype(np.int8)
    return [
        (conv._conv_direct_rows, (f32(2, 8, 8, 8), f32(5, 2, 5, 5), f32(5), 1, 1, 1, 0, 4, 0, 5,
                                  np.zeros((5, 4, 4, 8), np.float32), f32(1, 1, 1, 1),
                                  np.ones((1, 1, 1, 1), np.int8), f32(1, 1, 1, 1), 0)),
        (conv._input_grad_rows, (f32(5, 4, 4, 8), f32(2, 1, 25, 5), 5, 5, 1, 1, 1, 0, 8,
                                 np.zeros((2, 8, 8, 8), np.float32))),
        (conv_weight._weight_grad_rows, (f32(2, 8, 8, 8), f32(5, 4, 4, 8), 1, 1, 1, 0, 5, 0, 2,
                                         0, 5, conv_weight.WGRAD_FILTERS,
                                         np.zeros((5, 2, 5, 5), np.float32))),
        (elementwise._row_sums, (f32(6, 40), 7, 1, 5, np.zeros(6, np.float64))),
        (pool._max_pool_2x2, (f32(3, 4, 4, 8), 0, 3, np.zeros((3, 2, 2, 8), np.float32),
                              np.zeros((3, 2, 2, 8), np.int8))),
        (pool._scatter_2x2, (f32(3, 2, 2, 8), choice, 0, 3, np.zeros((3, 4, 4, 8), np.float32))),
        (pool._max_pool_2x2_relu, (f32(3, 4, 4, 8), 0, 3, np.zeros((3, 2, 2, 8), np.float32),
                                   np.zeros((3, 2, 2, 8), np.int8),
                                   np.zeros((3, 2, 2, 8), np.float32))),
        (pool._scatter_2x2_masked, (f32(3, 2, 2, 8), np.maximum(f32(3, 2, 2, 8), 0), choice, 0, 3,
                                    np.zeros((3, 4, 4, 8), np.float32))),
        (blas._sgemm, (f32(9, 7), f32(5, 9), np.zeros((7, 5), np.float32), 1, 1,
                       blas.sgemm_address())),
        (conv._input_grad_shared, (f32(5, 4, 4, 8), f32(7, 1, 25, 5), 5, 5, 1, 1, 1,
                                   np.zeros(1, np.int64), 1, np.zeros((7, 8, 8, 8), np.float32))),
        (conv_weight._weight_grad_pooled, (f32(2, 8, 8, 8), f32(7, 2, 2, 8), f32(7, 2, 2, 8),
                                           pooled_choice, 1, 1, 1, 0, 7,
                                           conv_weight.WGRAD_FILTERS, 0,
                                           np.zeros((7, 2, 5, 5), np.float32),
                                           np.zeros(7, np.float64))),
        (conv_weight._weight_grad_pooled, (f32(2, 8, 8, 8), f32(7, 2, 2, 8),
                                           np.maximum(f32(7, 2, 2, 8), 0), pooled_choice,
                                           1, 1, 1, 2, 7, conv_weight.WGRAD_FILTERS, 1,
                                           np.zeros((7, 2, 5, 5), np.float32),
                                           np.zeros(7, np.float64))),
        (conv._conv_direct_rows, (f32(2, 9, 8, 8), f32(5, 2, 5, 5), f32(5), 1, 1, 1, 0, 5, 0, 5,
                                  np.zeros((5, 5, 4, 8), np.float32),
                                  np.zeros((5, 2, 2, 8), np.float32),
                                  np.zeros((5, 2, 2, 8), np.int8), f32(1, 1, 1, 1), 1)),
        (conv._conv_direct_rows, (f32(2, 8, 8, 8), f32(5, 2, 5, 5), f32(5), 1, 1, 1, 0, 4, 0, 5,
                                  np.zeros((5, 4, 4, 8), np.float32),
                                  np.zeros((5, 2, 2, 8), np.float32),
                                  np.zeros((5, 2, 2, 8), np.int8),
                                  np.zeros((5, 2, 2, 8), np.float32), 2)),
    ]


def _outputs(args):
    """The positions of the arrays a case starts as zeros: the ones its kernel writes."""
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and not a.any()]


@pytest.mark.parametrize("which", range(14))
def test_a_served_call_computes_what_the_kernel_called_from_python_does(fast, which):
    from tinygrad_sgd.kernels.compiled.served import pack, run_job
    kernel, args = _cases()[which]
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    outputs = _outputs(args)
    kernel(*args)                                       # the Python path
    run_job(pack([(kernel, *mine)]))                    # the same call, from numbers
    for a, b in zip(args, mine):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    assert outputs and any(np.any(mine[i]) for i in outputs)    # (something was written)


def test_a_job_of_several_calls_runs_them_in_order(fast):
    from tinygrad_sgd.kernels.compiled.served import pack, run_job
    from tinygrad_sgd.kernels.compiled import elementwise
    rows, sums = _rng().standard_normal((4, 16)).astype(np.float32), np.zeros(4, np.float64)
    run_job(pack([(elementwise._row_sums, rows, 16, 0, 2, sums),
                  (elementwise._row_sums, rows, 16, 3, 4, sums)]))
    expected = np.zeros(4, np.float64)
    elementwise._row_sums(rows, 16, 0, 4, expected)
    np.testing.assert_array_equal(sums[[0, 1, 3]], expected[[0, 1, 3]])
    assert sums[2] == 0 and expected[2] != 0


def test_a_job_packed_into_a_used_row_ends_after_its_own_calls(fast):
    """The crew packs each job into the worker's row, over the last job's numbers: the calls
    of a longer job written there before must not run again."""
    from tinygrad_sgd.kernels.compiled.served import MAX_CALLS, SLOTS, pack, run_job
    from tinygrad_sgd.kernels.compiled import elementwise
    rows = _rng().standard_normal((4, 16)).astype(np.float32)
    row = np.zeros(MAX_CALLS * SLOTS, np.int64)
    first, second = np.zeros(4, np.float64), np.zeros(4, np.float64)
    assert pack([(elementwise._row_sums, rows, 16, 0, 4, second),
                 (elementwise._row_sums, rows, 16, 0, 4, first)], row) is row
    assert pack([(elementwise._row_sums, rows, 16, 0, 4, second)], row) is row
    run_job(row)
    expected = np.zeros(4, np.float64)
    elementwise._row_sums(rows, 16, 0, 4, expected)
    np.testing.assert_array_equal(second, expected)
    assert not first.any()                               # the old second call did not run


def test_what_cannot_be_described_exactly_is_not_packed(fast):
    from tinygrad_sgd.kernels.compiled.served import pack, MAX_CALLS
    from tinygrad_sgd.kernels.compiled import elementwise, pool
    rows, sums = np.ones((4, 8), np.float32), np.zeros(4, np.float64)
    ok = (elementwise._row_sums, rows, 8, 0, 4, sums)
    assert pack([ok]) is not None
    assert pack([(elementwise._row_sums, rows.astype(np.float64), 8, 0, 4, sums)]) is None  # dtype
    assert pack([(elementwise._row_sums, rows[:, ::2], 8, 0, 4, sums)]) is None   # not contiguous
    assert pack([(elementwise._row_sums, rows.reshape(4, 2, 4), 8, 0, 4, sums)]) is None   # dims
    assert pack([(elementwise._row_sums, rows, 8, 0.0, 4, sums)]) is None         # not an int
    assert pack([(elementwise._row_sums, rows, 8, 0, 4)]) is None                 # an argument short
    assert pack([(elementwise._row_sums, list(rows), 8, 0, 4, sums)]) is None     # not an array
    assert pack([(pool.max_pool_forward, rows)]) is None                       # not a served kernel
    assert pack([ok] * (MAX_CALLS + 1)) is None
    assert pack([ok] * MAX_CALLS) is not None


def test_the_worker_runs_a_served_chunk_without_calling_python(fast):
    from tinygrad_sgd.kernels.compiled import elementwise
    rows = _rng().standard_normal((8, 64)).astype(np.float32)
    for dtype, served in ((np.float32, True), (np.float64, False)):   # float64: not served
        a, sums, where = rows.astype(dtype), np.zeros(8, np.float64), []

        def fn(lo, hi):
            where.append((lo, threading.current_thread().name))
            elementwise._row_sums(a, 64, lo, hi, sums)
        for _ in range(20):         # many in a row: each handed over and finished
            where.clear()
            sums[:] = 0
            threads.parallel_for(8, fn, 1 << 30,
                                 served=lambda lo, hi: [(elementwise._row_sums, a, a.shape[1], lo, hi, sums)])
            assert where[0] == (0, threading.current_thread().name)
            if served:
                assert len(where) == 1          # chunk 4..8 ran as compiled calls only
            else:
                assert [w[0] for w in where] == [0, 4] and where[1][1].startswith("tinygrad_sgd")
            np.testing.assert_array_equal(sums, [elementwise.row_sums(a[i:i + 1])[0]
                                                 for i in range(8)])


def test_a_sleeping_worker_is_woken_for_a_served_job(fast, monkeypatch):
    import time
    from tinygrad_sgd.kernels.compiled import elementwise
    rows, sums = _rng().standard_normal((8, 64)).astype(np.float32), np.zeros(8, np.float64)
    monkeypatch.setattr(threads, "SPIN_POLLS", 64)      # the worker sleeps almost at once
    for _ in range(5):
        sums[:] = 0
        threads.parallel_calls(8, lambda lo, hi: [(elementwise._row_sums, rows, rows.shape[1], lo, hi, sums)],
                               1 << 30)
        np.testing.assert_array_equal(sums, elementwise.row_sums(rows))
        time.sleep(0.02)
        assert threads._crew.state.sleeping[0]


def test_served_and_python_jobs_alternate(fast):
    """A Python job after served ones (and back): the worker's count of jobs done stays right."""
    from tinygrad_sgd.kernels.compiled import elementwise
    rows = _rng().standard_normal((8, 64)).astype(np.float32)
    for k in range(12):
        a, sums = (rows if k % 3 else rows.astype(np.float64)), np.zeros(8, np.float64)
        threads.parallel_calls(8, lambda lo, hi: [(elementwise._row_sums, a, a.shape[1], lo, hi, sums)],
                               1 << 30)
        np.testing.assert_array_equal(sums, elementwise.row_sums(a))


def test_the_cnn_step_on_two_threads_equals_one_thread_bit_for_bit(fast):
    """The tutorial CNN's split kernels go to the worker as served jobs: the step's gradients
    are the same bits as on one thread (OpenBLAS on one thread for both: its own threads sum
    fc1's product in another order)."""
    rng = _rng()
    x = tg.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 10, 64))
    grads = []
    threads.blas_single_threaded(_two_steps, x, y, grads)
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def _two_steps(x, y, grads):
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F
    for n in (2, 1):
        tg.set_num_threads(n)
        tg.manual_seed(0)
        model = SimpleCNN()
        model.eval()                       # (no dropout draw)
        F.nll_loss(model(x), y).backward()
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
        if n == 2:      # the last split job (conv1's weight gradient) was a served one
            assert threads._crew.state.jobs[0, 0] != 0


def test_a_kernel_that_raises_in_a_served_job_fails_the_call_and_the_worker_goes_on(fast):
    from tinygrad_sgd.kernels.compiled import conv, elementwise
    rng = _rng()
    gy, w2 = rng.standard_normal((5, 4, 4, 8)).astype(np.float32), \
        rng.standard_normal((2, 1, 25, 5)).astype(np.float32)
    out = np.zeros((2, 8, 8, 8), np.float32)
    with pytest.raises(ZeroDivisionError):      # a stride of 0, on this thread
        conv._input_grad_rows(gy, w2, 5, 5, 0, 1, 1, 0, 8, out)
    with pytest.raises(RuntimeError, match="served job"):   # on the worker: told here too
        threads.parallel_calls(8, lambda lo, hi: [(conv._input_grad_rows, gy, w2, 5, 5,
                                                   1 if lo == 0 else 0, 1, 1, lo, hi, out)],
                               1 << 30)
    rows, sums = rng.standard_normal((8, 64)).astype(np.float32), np.zeros(8, np.float64)
    threads.parallel_calls(8, lambda lo, hi: [(elementwise._row_sums, rows, rows.shape[1], lo, hi, sums)],
                           1 << 30)
    np.testing.assert_array_equal(sums, elementwise.row_sums(rows))
