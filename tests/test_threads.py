"""The two-core helpers (threads.py) and the memory-keeping allocator setting (allocator.py)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import threads


@pytest.fixture
def two_threads():
    before = tg.get_num_threads()
    tg.set_num_threads(2)
    yield
    tg.set_num_threads(before)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 24])
def test_parallel_for_covers_the_range_once_in_contiguous_chunks(two_threads, n):
    seen = []
    threads.parallel_for(n, lambda a, b: seen.append((a, b)), work=1 << 30)
    seen.sort()
    assert seen[0][0] == 0 and seen[-1][1] == n
    assert all(b0 == a1 for (_, b0), (a1, _) in zip(seen, seen[1:]))
    assert len(seen) == min(2, n)


def test_small_work_runs_on_the_calling_thread(two_threads):
    import threading
    where = []
    threads.parallel_for(10, lambda a, b: where.append(threading.current_thread().name), work=10)
    assert where == [threading.current_thread().name]


def test_blas_chunks_run_on_workers_with_their_results(two_threads):
    a = np.random.default_rng(0).standard_normal((8, 64)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((64, 4096)).astype(np.float32)
    out = np.empty((8, 4096), np.float32)

    def part(r0, r1):
        np.matmul(a, b[:, r0 * 512:r1 * 512], out=out[:, r0 * 512:r1 * 512])
    threads.parallel_for(8, part, work=1 << 30, blas=True)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)


def test_errors_in_a_chunk_reach_the_caller(two_threads):
    def boom(a, b):
        raise ValueError(f"chunk {a}:{b}")
    with pytest.raises(ValueError, match="chunk"):
        threads.parallel_for(4, boom, work=1 << 30)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_set_num_threads_refuses_bad_values(bad):
    with pytest.raises(ValueError, match="positive int"):
        tg.set_num_threads(bad)


def test_numpys_openblas_thread_control_is_found():
    assert threads._blas_threads() is not None


@pytest.mark.parametrize("n", [1, 3, 2])
def test_set_num_threads_sets_openblas_count_too(n):
    # as torch.set_num_threads sets its intra-op pool: the products follow the count too
    get, put = threads._blas_threads()
    before, old = get(), tg.get_num_threads()
    try:
        tg.set_num_threads(n)
        assert (tg.get_num_threads(), get()) == (n, n)
        a = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
        assert np.array_equal(a @ a, threads.blas_single_threaded(lambda: a @ a)) or n > 1
        assert get() == n                       # (a product does not change it)
    finally:
        tg.set_num_threads(old)
        put(before)


def test_set_num_threads_inside_a_single_threaded_section_applies_at_its_end():
    get, put = threads._blas_threads()
    before, old = get(), tg.get_num_threads()
    seen = []
    try:
        tg.set_num_threads(2)
        threads.blas_single_threaded(lambda: (tg.set_num_threads(3), seen.append(get())))
        assert seen == [1] and get() == 3 and tg.get_num_threads() == 3
    finally:
        tg.set_num_threads(old)
        put(before)


def test_split_blas_work_leaves_blas_threads_as_they_were():
    # the split runs BLAS single-threaded, then gives the program back its thread count
    # (OpenBLAS's "thread-local" setter once left every later product on one thread)
    get, put = threads._blas_threads()
    before = get()
    seen = []
    old = threads.get_num_threads()
    try:
        put(2)
        tg.set_num_threads(2)
        threads.parallel_for(2, lambda a, b: seen.append(get()), work=1 << 30, blas=True)
        assert seen == [1, 1]
        assert get() == 2
    finally:
        put(before)
        tg.set_num_threads(old)


def test_overlapping_single_threaded_blas_calls_put_the_first_count_back():
    # two threads inside at once, leaving in the order first in, first out: each saving and
    # restoring its own count would have left OpenBLAS on one thread for good
    import threading
    get, put = threads._blas_threads()
    before = get()
    a_inside, b_inside, a_may_leave = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def a():
        a_inside.set()
        a_may_leave.wait(10)
        seen.append(("a", get()))

    def b():
        a_inside.wait(10)
        threads.blas_single_threaded(lambda: (b_inside.set(), a_may_leave.wait(10),
                                              time_for_a.wait(10), seen.append(("b", get()))))
    time_for_a = threading.Event()
    try:
        put(2)
        ta = threading.Thread(target=threads.blas_single_threaded, args=(a,))
        tb = threading.Thread(target=b)
        ta.start(), tb.start()
        b_inside.wait(10)
        a_may_leave.set()
        ta.join(10)
        assert get() == 1                  # b is still inside
        time_for_a.set()
        tb.join(10)
        assert seen == [("a", 1), ("b", 1)]
        assert get() == 2
    finally:
        put(before)


def test_allocator_setting_is_off_by_default_and_applies_on_request():
    code = "import tinygrad_sgd.kernels.allocator as a, tinygrad_sgd; print(a.applied)"
    env = {k: v for k, v in os.environ.items() if k != "TINYGRAD_SGD_KEEP_MEMORY"}
    default = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=env)
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                        env=dict(env, TINYGRAD_SGD_KEEP_MEMORY="1"))
    assert default.stdout.strip() == "False"
    assert on.stdout.strip() == "True"
    explicit = subprocess.run([sys.executable, "-c", "import tinygrad_sgd.kernels.allocator as a; "
                               "print(a.keep_freed_memory(), a.applied)"],
                              capture_output=True, text=True, check=True, env=env)
    assert explicit.stdout.split() == ["True", "True"]


# --- the spinning workers (compiled kernels only) ------------------------------------------
needs_numba = pytest.mark.skipif(not __import__("tinygrad_sgd.kernels.backend", fromlist=["x"])
                                 .numba_available(), reason="numba is not installed")


@pytest.fixture
def compiled_kernels(monkeypatch):
    """The compiled kernels, and OpenBLAS taken as quiet (the spinning workers run)."""
    from tinygrad_sgd import kernels
    previous = kernels.set_backend("numba")
    monkeypatch.setattr(threads, "_quiet_blas", True)
    yield
    kernels.set_backend(previous)


@needs_numba
def test_spinning_workers_take_the_chunks_beyond_the_first(two_threads, compiled_kernels):
    import threading
    where = {}
    for _ in range(50):              # many jobs in a row: each one handed over and finished
        threads.parallel_for(10, lambda a, b: where.setdefault(
            (a, b), set()).add(threading.current_thread().name), work=1 << 30)
    assert where[(0, 5)] == {threading.current_thread().name}
    assert {name.startswith("tinygrad_sgd-spin") for name in where[(5, 10)]} == {True}


@needs_numba
def test_spin_lingers_after_the_flag_before_taking_the_gil_back():
    """The pause before a worker takes the GIL is inside the compiled poll (a worker that took
    the GIL first and paused after would wait for it while the caller holds it), and is a
    time, not a number of polls (a loop of polls LLVM may fold away)."""
    import time
    from tinygrad_sgd.kernels.compiled.spin import spin
    flags, scratch = np.zeros((1, 2), np.int64), np.zeros(3, np.int64)
    flags[0, 0] = 7
    assert spin(flags, 0, -1, 0, 7, 10, 0, scratch, 0)            # warm (compiled)
    t0 = time.perf_counter()
    assert spin(flags, 0, 5, 0, 7, 10, 0, scratch, 20_000_000)    # 20 ms
    assert time.perf_counter() - t0 >= 0.02 and flags[0, 1] == 5   # announced too
    t0 = time.perf_counter()
    assert not spin(flags, 0, -1, 0, 8, 1000, 0, scratch, 20_000_000)   # no flag: no pause
    assert time.perf_counter() - t0 < 0.02


@needs_numba
def test_spinning_workers_pass_errors_on_and_go_on(two_threads, compiled_kernels):
    def boom(a, b):
        if a > 0:
            raise KeyError("worker chunk")
    with pytest.raises(KeyError, match="worker chunk"):
        threads.parallel_for(4, boom, work=1 << 30)
    seen = []
    threads.parallel_for(4, lambda a, b: seen.append(a), work=1 << 30)
    assert sorted(seen) == [0, 2]


@needs_numba
def test_spinning_workers_after_sleeping_resizing_and_forking(compiled_kernels):
    """A worker that went to sleep is woken; a new thread count makes a new crew (the old one
    exits); a forked child, which has none of its parent's threads, starts its own."""
    import time
    before = tg.get_num_threads()
    try:
        for n in (2, 3, 2):
            tg.set_num_threads(n)
            seen = []
            threads.parallel_for(6, lambda a, b: seen.append((a, b)), work=1 << 30)
            assert sorted(seen)[-1][1] == 6 and len(seen) == n
        time.sleep(0.05)             # longer than the spinning: the worker sleeps
        seen = []
        threads.parallel_for(6, lambda a, b: seen.append((a, b)), work=1 << 30)
        assert sorted(seen) == [(0, 3), (3, 6)]
        pid = os.fork()
        if pid == 0:                 # the child: must not wait for its parent's workers
            out = []
            threads.parallel_for(6, lambda a, b: out.append(a), work=1 << 30)
            os._exit(0 if sorted(out) == [0, 3] else 1)
        deadline = time.time() + 60
        while time.time() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.waitstatus_to_exitcode(status) == 0
                break
            time.sleep(0.01)
        else:
            os.kill(pid, 9)
            pytest.fail("the forked child's parallel_for did not return")
    finally:
        tg.set_num_threads(before)


@needs_numba
def test_a_child_forked_inside_a_pair_splits_work_again(two_threads, compiled_kernels):
    """Forked while a pair ran (BLAS single-threaded, parallel_for unsplit inside it), the
    child has neither the pair nor its threads: its work splits over two threads again and
    BLAS has its thread count back."""
    import time
    get, _ = threads._blas_threads()
    blas_before = get()
    pids = []

    def first():
        pid = os.fork()
        if pid == 0:
            out = []
            threads.parallel_for(6, lambda a, b: out.append(a), work=1 << 30)
            ok = sorted(out) == [0, 3] and not threads._pairing and get() == blas_before
            os._exit(0 if ok else 1)
        pids.append(pid)
    assert threads.run_pair(first, lambda: None)
    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pids[0], os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            break
        time.sleep(0.01)
    else:
        os.kill(pids[0], 9)
        pytest.fail("the forked child's parallel_for did not return")


@needs_numba
@pytest.mark.parametrize("quiet", [True, False])
def test_spinning_workers_only_when_openblas_threads_sleep(two_threads, compiled_kernels,
                                                           monkeypatch, quiet):
    """OpenBLAS's idle threads spin by default; our spinning workers would fight them, so with
    a multi-threaded OpenBLAS that may spin, the sleeping pool takes the chunks instead."""
    import threading
    get, put = threads._blas_threads()
    before = get()
    monkeypatch.setattr(threads, "_quiet_blas", quiet)
    put(2)
    try:
        names = []
        threads.parallel_for(4, lambda a, b: names.append(threading.current_thread().name),
                             work=1 << 30)
    finally:
        put(before)
    worker = [n for n in names if n != threading.current_thread().name]
    assert len(worker) == 1 and worker[0].startswith("tinygrad_sgd-spin") == quiet


@pytest.mark.parametrize("preset", [None, "30"])
def test_import_before_numpy_quiets_openblas_unless_set(preset):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if preset:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    code = "import os, tinygrad_sgd; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()[-1]
    assert out == (preset or "4")


_SPIN_PROBE = """
import os, time
{first}
import numpy as np
from tinygrad_sgd.kernels import openblas, threads
a = np.ones((512, 512), np.float32)
cpu = []
for _ in range(3):                 # a threaded product, then how busy the process is idle
    a @ a
    c = time.process_time(); time.sleep(0.05); cpu.append(time.process_time() - c)
timeout = next(openblas.numpy_openblas()).openblas_thread_timeout()
print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"), timeout, threads._blas_may_spin(), min(cpu))
"""


@pytest.mark.parametrize("first", ["numpy", "tinygrad_sgd"])
@pytest.mark.parametrize("preset", [None, "30"])
def test_openblas_threads_stop_spinning_whichever_comes_first(first, preset):
    """With NumPy imported first (the usual order), the library makes OpenBLAS's threads read
    OPENBLAS_THREAD_TIMEOUT=4 too (quiet_openblas): after a threaded product they sleep
    instead of spinning ~2^28 cycles, and our spinning workers take the second core. A timeout
    the program set is kept, and then OpenBLAS spins (2^30 cycles) as it was told."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT",
                                                            "OPENBLAS_NUM_THREADS",
                                                            "OMP_NUM_THREADS")}
    env["OPENBLAS_NUM_THREADS"] = "2"
    if preset:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    code = _SPIN_PROBE.format(first=f"import {first}; import tinygrad_sgd")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    variable, timeout, may_spin, idle_cpu = out[0], int(out[1]), out[2] == "True", float(out[3])
    if preset:
        assert (variable, timeout, may_spin) == ("30", 30, True)
        assert idle_cpu > 0.01               # its idle thread spun through the sleep
    else:
        assert (variable, timeout, may_spin) == ("4", 4, False)
        assert idle_cpu < 0.01               # (a spinning thread: ~0.05 s of the 0.05 s)


# --- a stack of small products split over the threads (attention's) ------------------------
def _stack_operands(kind, rng):
    """(a, b) for kernels.linalg.matmul: contiguous stacks, or the attention's views (q and
    kᵀ cut out of one (B, T, 3·C) projection, heads permuted to the front)."""
    if kind == "contiguous":
        return (rng.standard_normal((6, 3, 16, 8)).astype(np.float32),
                rng.standard_normal((6, 3, 8, 16)).astype(np.float32))
    if kind == "attention views":
        qkv = rng.standard_normal((6, 16, 3 * 24)).astype(np.float32)
        q = qkv[..., :24].reshape(6, 16, 3, 8).transpose(0, 2, 1, 3)
        k = qkv[..., 24:48].reshape(6, 16, 3, 8).transpose(0, 2, 1, 3)
        return q, k.swapaxes(-1, -2)
    if kind == "float64 probabilities @ values":
        return (rng.random((5, 2, 16, 16)), rng.standard_normal((5, 2, 16, 8)))
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["contiguous", "attention views",
                                  "float64 probabilities @ values"])
def test_a_stack_of_small_products_is_split_and_equals_numpys(two_threads, kind,
                                                              monkeypatch):
    from tinygrad_sgd.kernels import linalg
    calls = []

    def recording(n, fn, work=0, blas=False):
        calls.append((n, work))
        threads.parallel_for(n, fn, work=1 << 30, blas=blas)     # always split, here
    monkeypatch.setattr(linalg, "parallel_for", recording)
    a, b = _stack_operands(kind, np.random.default_rng(0))
    out = linalg.matmul(a, b)
    assert calls and calls[0][0] == a.shape[0]
    # each matrix is the same BLAS call on the same numbers: bitwise NumPy's
    np.testing.assert_array_equal(out, np.matmul(a, b))
    assert out.dtype == np.matmul(a, b).dtype


@pytest.mark.parametrize("shapes", [((1, 16, 8), (1, 8, 16)),        # a stack of one
                                    ((4, 16, 8), (8, 16)),            # a matrix operand
                                    ((4, 16, 8), (1, 8, 16)),         # a broadcast batch
                                    ((2, 128, 64), (2, 64, 128))])    # BLAS may thread these
def test_other_products_are_not_split_by_the_stack_rule(two_threads, shapes, monkeypatch):
    from tinygrad_sgd.kernels import linalg
    calls = []
    monkeypatch.setattr(linalg, "parallel_for", lambda *a, **k: calls.append(a))
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    np.testing.assert_allclose(linalg.matmul(a, b), np.matmul(a, b), rtol=1e-6, atol=1e-6)
    assert calls == []


def _arithmetic_operands(kind, rng):
    big = (8, 64, 512)                       # 2^18 numbers: split
    if kind == "contiguous":
        return rng.standard_normal(big, dtype=np.float32), rng.standard_normal(big,
                                                                               dtype=np.float32)
    if kind == "transposed":                 # memory order (2, 0, 1): split along it
        a = rng.standard_normal((64, 512, 8)).transpose(2, 0, 1)
        return a, rng.standard_normal((64, 512, 8)).transpose(2, 0, 1)
    if kind == "heads sliced from q|k|v":    # a view with gaps
        qkv = rng.standard_normal((8, 64, 3 * 512), dtype=np.float32)
        return qkv[..., 512:1024], qkv[..., :512]
    if kind == "array and 0-d":
        return rng.standard_normal(big), np.array(0.125)
    if kind == "zeros and infs":             # 0/0, x/0: NumPy's error state stays quiet
        a = rng.standard_normal(big, dtype=np.float32)
        a[::2] = 0
        return a, np.zeros(big, np.float32)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "heads sliced from q|k|v",
                                  "array and 0-d", "zeros and infs"])
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.divide])
def test_big_arithmetic_is_split_and_equals_numpys(two_threads, kind, ufunc, monkeypatch):
    import warnings
    from tinygrad_sgd.kernels import elementwise
    calls = []

    def recording(n, fn, work=0, blas=False):
        calls.append(n)
        threads.parallel_for(n, fn, work=1 << 30, blas=blas)     # always split, here
    monkeypatch.setattr(elementwise, "parallel_for", recording)
    a, b = _arithmetic_operands(kind, np.random.default_rng(0))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")       # a worker's NumPy would warn in its own state
        out = elementwise.arithmetic(ufunc, a, b)
        expected = ufunc(a, b)
    assert calls and calls[0] > 1
    np.testing.assert_array_equal(out, expected)      # each number as alone: NumPy's bits
    assert out.dtype == expected.dtype and out.shape == expected.shape
    assert out.strides == expected.strides or kind == "heads sliced from q|k|v"


def test_small_arithmetic_is_not_split(two_threads, monkeypatch):
    from tinygrad_sgd.kernels import elementwise
    monkeypatch.setattr(elementwise, "parallel_for", lambda *a, **k: pytest.fail("split"))
    a = np.ones((64, 1023), np.float32)
    np.testing.assert_array_equal(elementwise.arithmetic(np.add, a, a), a + a)


@needs_numba
@pytest.mark.parametrize("shape", [(2048, 512), (3, 5), (4097, 65)])
def test_bias_rows_added_by_threads_equal_numpys(two_threads, compiled_kernels, shape):
    from tinygrad_sgd.kernels import elementwise
    rng = np.random.default_rng(1)
    out = rng.standard_normal(shape, dtype=np.float32)
    b = rng.standard_normal(shape[1], dtype=np.float32)
    expected = out + b
    elementwise.add_rows(out, b)
    np.testing.assert_array_equal(out, expected)


def _linear_operands(kind, rng, dtype=np.float32):
    if kind == "3-d activations":            # a transformer's (B, T, in): rows folded
        x = rng.standard_normal((4, 256, 96)).astype(dtype)
        return rng.standard_normal((4, 256, 80)).astype(dtype), \
            rng.standard_normal((80, 96)).astype(dtype), x, None
    if kind == "flattened conv output":      # x Fortran-ordered: dL/dx in that layout too
        x = np.asfortranarray(rng.standard_normal((1024, 320)).astype(dtype))
        return rng.standard_normal((1024, 50)).astype(dtype), \
            rng.standard_normal((50, 320)).astype(dtype), x, x
    if kind == "2-d":
        x = rng.standard_normal((2048, 128)).astype(dtype)
        return rng.standard_normal((2048, 64)).astype(dtype), \
            rng.standard_normal((64, 128)).astype(dtype), x, x
    raise ValueError(kind)


@needs_numba
@pytest.mark.parametrize("kind", ["3-d activations", "flattened conv output", "2-d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_grads_side_by_side_equal_the_products_alone(two_threads, compiled_kernels,
                                                            monkeypatch, kind, dtype):
    from tinygrad_sgd.kernels import linalg
    pairs = []

    def recording(first, second, second_calls=None):
        pairs.append(True)
        return threads.run_pair(first, second, second_calls)
    monkeypatch.setattr(linalg, "run_pair", recording)
    monkeypatch.setattr(linalg, "PAIR_MIN_PRODUCT", 1)
    g, w, x, layout = _linear_operands(kind, np.random.default_rng(2), dtype)
    dx, dw = linalg.linear_grads(g, w, x, layout_of=layout)
    assert pairs == [True]
    rows = int(np.prod(g.shape[:-1]))
    g2, x2 = g.reshape(rows, -1), x.reshape(rows, -1)
    # what each thread computed: the same products on one BLAS thread, bit for bit
    expected_dx = threads.blas_single_threaded(lambda: linalg.matmul(g, w, layout_of=layout))
    expected_dw = threads.blas_single_threaded(lambda: g2.T @ x2)
    np.testing.assert_array_equal(dx, expected_dx)
    np.testing.assert_array_equal(dw, expected_dw)
    assert dx.dtype == dw.dtype == np.dtype(dtype)
    assert dx.flags.f_contiguous == (layout is not None and kind != "2-d")
    np.testing.assert_allclose(dx, g @ w, rtol=1e-4, atol=1e-4)


def test_linear_grads_leave_other_operands_to_the_general_path():
    from tinygrad_sgd.kernels import linalg
    f = np.ones((3, 4), np.float32)
    assert linalg.linear_grads(np.ones(3, np.float32), f, np.ones(4, np.float32)) is None
    assert linalg.linear_grads(f, f.T.copy(), f.astype(np.float64)) is None
    assert linalg.linear_grads(f.astype(np.int64), f.T.astype(np.int64).copy(),
                               f.astype(np.int64)) is None


@needs_numba
def test_run_pair_declines_without_two_threads_and_runs_both_with_them(compiled_kernels):
    done = []
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert not threads.run_pair(lambda: done.append(1), lambda: done.append(2))
        assert done == []
        tg.set_num_threads(2)
        assert threads.run_pair(lambda: done.append(1), lambda: done.append(2))
        assert sorted(done) == [1, 2]
    finally:
        tg.set_num_threads(before)


@needs_numba
@pytest.mark.parametrize("shape", [((16, 10, 12, 12), (20, 10, 5, 5), (1, 1), (0, 0)),
                                   ((8, 3, 9, 11), (7, 3, 3, 3), (2, 1), (1, 2)),
                                   ((4, 1, 28, 28), (10, 1, 5, 5), (1, 1), (0, 0))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_gradients_side_by_side_equal_them_one_after_the_other(
        two_threads, compiled_kernels, monkeypatch, shape, dtype):
    from tinygrad_sgd.kernels import conv
    from tinygrad_sgd.kernels.layout import from_chwn, geometry
    from tinygrad_sgd.kernels.reduce import summed_rows
    pairs = []

    def recording(first, second, *calls):
        pairs.append(True)
        return threads.run_pair(first, second, *calls)
    monkeypatch.setattr(conv, "run_pair", recording)
    x_shape, w_shape, stride, padding = shape
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    g = geometry("conv2d", x.shape, w_shape[2:], stride, padding, (1, 1), 1)
    y, cols = conv.conv2d_forward(x, w, None, g, keep_cols=True)
    # dy batch-innermost in memory, as pooling's backward leaves it: its bias sums come along
    n, f, oh, ow = y.shape
    gy = from_chwn(rng.standard_normal((f, oh, ow, n)).astype(dtype))
    dx, dw, db = conv.conv2d_grads(x, gy, w, g, cols, bias_grad=True)
    assert pairs == [True]
    # each on one core, each number summed as the split kernels sum it on any thread count
    np.testing.assert_array_equal(dx, conv.conv2d_input_grad(gy, w, g))
    np.testing.assert_array_equal(dw, conv.conv2d_weight_grad(x, gy, w.shape, g, cols))
    if summed_rows(gy, (0, 2, 3), gy.dtype) is None:   # few: NumPy's sum, the caller's
        assert db is None and gy.size < 1 << 14
    else:
        np.testing.assert_array_equal(db, kernels.reduce.bias_sum(gy, (0, 2, 3)))
        assert db.dtype == dtype


@needs_numba
@pytest.mark.parametrize("shape", [(20, 10, 8, 8), (7, 3, 5, 4), (5, 12, 1, 9)])
def test_dx_claimed_from_both_ends_on_two_threads_is_every_unit_once_in_the_same_bits(shape):
    """The pair's input gradient (:func:`..compiled.conv._input_grad_shared`): two threads
    claiming units — a row of five channels — from one counter, one from the front, one
    from the back, write every number of dx once, as the rows kernel does; one side alone
    does all of it; each side's own count of units is what it took."""
    import threading
    from tinygrad_sgd.kernels.compiled import conv
    F, C, OH, N = shape
    rng = np.random.default_rng(sum(shape))
    gy = rng.standard_normal((F, OH, OH, N)).astype(np.float32)
    w2 = rng.standard_normal((C, 1, 25, F)).astype(np.float32)
    Hp = OH + 4
    expected = np.full((C, Hp, Hp, N), np.nan, np.float32)
    conv._input_grad_rows(gy, w2, 5, 5, 1, 1, 1, 0, Hp, expected)
    units = Hp * -(-C // 5)
    for sides in ((0, 1), (0,), (1,)):
        for _ in range(20 if len(sides) == 2 else 1):
            out, counter = np.full_like(expected, np.nan), np.zeros(1, np.int64)
            runs = [threading.Thread(target=conv._input_grad_shared,
                                     args=(gy, w2, 5, 5, 1, 1, 1, counter, side, out))
                    for side in sides]
            for t in runs:
                t.start()
            for t in runs:
                t.join()
            np.testing.assert_array_equal(out, expected)
            assert counter[0] == units + len(sides)    # (each side's last claim found none)


@needs_numba
def test_conv_gradients_on_one_thread_are_made_ready_once_and_equal_the_separate_ones(
        compiled_kernels):
    from tinygrad_sgd.kernels import conv
    from tinygrad_sgd.kernels.layout import geometry
    before = tg.get_num_threads()
    tg.set_num_threads(1)
    try:
        rng = np.random.default_rng(4)
        x = rng.standard_normal((8, 10, 12, 12)).astype(np.float32)
        w = rng.standard_normal((20, 10, 5, 5)).astype(np.float32)
        g = geometry("conv2d", x.shape, (5, 5), (1, 1), (0, 0), (1, 1), 1)
        y, cols = conv.conv2d_forward(x, w, None, g, keep_cols=True)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        dx, dw, db = conv.conv2d_grads(x, gy, w, g, cols, bias_grad=True)
        np.testing.assert_array_equal(dx, conv.conv2d_input_grad(gy, w, g))
        np.testing.assert_array_equal(dw, conv.conv2d_weight_grad(x, gy, w.shape, g, cols))
        assert db is None            # dy in NCHW memory: NumPy sums it (the caller, as before)
    finally:
        tg.set_num_threads(before)


@needs_numba
def test_conv_gradients_go_one_after_the_other_where_the_split_wins(two_threads,
                                                                   compiled_kernels,
                                                                   monkeypatch):
    from tinygrad_sgd.kernels import conv
    from tinygrad_sgd.kernels.layout import geometry
    pairs = []

    def recording(first, second, *calls):
        pairs.append(True)
        return threads.run_pair(first, second, *calls)
    monkeypatch.setattr(conv, "run_pair", recording)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 2, 8, 8)).astype(np.float32)
    for w_shape, groups, work, paired in [((4, 2, 3, 3), 1, 1 << 40, True),   # side by side
                                          ((4, 1, 3, 3), 2, 1 << 40, None),   # groups: never
                                          ((4, 2, 3, 3), 1, 0, False)]:  # over PAIR_MAX_WORK
        pairs.clear()
        g = geometry("conv2d", x.shape, w_shape[2:], (1, 1), (0, 0), (1, 1), groups)
        w = rng.standard_normal(w_shape).astype(np.float32)
        gy = rng.standard_normal((4, 4, 6, 6)).astype(np.float32)
        monkeypatch.setattr(conv, "PAIR_MAX_WORK", work)
        grads = conv.conv2d_grads(x, gy, w, g)
        if paired is None:
            assert grads is None
            continue
        assert pairs == ([True] if paired else [])
        np.testing.assert_array_equal(grads[0], conv.conv2d_input_grad(gy, w, g))
        np.testing.assert_array_equal(grads[1], conv.conv2d_weight_grad(x, gy, w.shape, g))
        assert grads[2] is None


@needs_numba
def test_work_inside_a_pair_is_not_split_again(two_threads, compiled_kernels):
    calls = []

    def task():
        threads.parallel_for(10, lambda a, b: calls.append((a, b)), work=1 << 30)
    assert threads.run_pair(task, task)
    assert sorted(calls) == [(0, 10), (0, 10)]
    assert not threads._pairing
    threads.parallel_for(10, lambda a, b: calls.append((a, b)), work=1 << 30)
    assert sorted(calls[2:]) == [(0, 5), (5, 10)]


@needs_numba
def test_a_conv_and_linear_step_gives_the_same_gradients_with_and_without_pairs(
        two_threads, compiled_kernels, monkeypatch):
    from tinygrad_sgd.kernels import conv, linalg
    from tinygrad_sgd.nn import functional as F
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in                   # float64: see the end
              [(64, 10, 12, 12), (20, 10, 5, 5), (20,), (50, 320), (50,)]]

    def grads():
        x, w, b, w2, b2 = [tg.tensor(a, requires_grad=True) for a in arrays]
        h = F.max_pool2d(F.conv2d(x, w, b), 2).flatten(1)
        F.linear(h, w2, b2).square().sum().backward()
        return [t.grad.numpy() for t in (x, w, b, w2, b2)]
    taken = []
    monkeypatch.setattr(linalg, "PAIR_MIN_PRODUCT", 1)        # (the 64-row products paired)
    for module in (conv, linalg):
        monkeypatch.setattr(module, "run_pair", lambda a, b, *calls, m=module.__name__:
                            taken.append((m, threads.run_pair(a, b, *calls))) or taken[-1][1])
    paired = grads()
    assert sorted(taken) == [(conv.__name__, True), (linalg.__name__, True)]
    monkeypatch.setattr(conv, "PAIR_MAX_WORK", -1)
    monkeypatch.setattr(linalg, "PAIR_MIN_PRODUCT", 1 << 62)
    # (a product's last bits are OpenBLAS's: its one- and two-thread sums may differ, and the
    # convolution's input gradient sums them with cancellation)
    for a, b in zip(paired, grads()):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("spinning", [True, False])
def test_chunks_run_in_the_callers_floating_point_error_state(two_threads, monkeypatch,
                                                               spinning):
    import warnings
    from tinygrad_sgd import kernels
    if spinning and not __import__("tinygrad_sgd.kernels.backend", fromlist=["x"]) \
            .numba_available():
        pytest.skip("numba is not installed")
    previous = kernels.set_backend("numba" if spinning else "numpy")
    monkeypatch.setattr(threads, "_quiet_blas", True)
    try:
        ones, zeros = np.ones(64), np.r_[np.ones(32), np.zeros(32)]   # 0s: the worker's half
        out = np.empty(64)

        def divide(a, b):
            np.divide(ones[a:b], zeros[a:b], out=out[a:b])
        for _ in range(3):        # (a worker keeps the last state it was given: change it)
            with np.errstate(divide="raise"):
                with pytest.raises(FloatingPointError):
                    threads.parallel_for(64, divide, work=1 << 30)
            with warnings.catch_warnings(), np.errstate(divide="ignore"):
                warnings.simplefilter("error")
                threads.parallel_for(64, divide, work=1 << 30)
            assert np.isinf(out[32:]).all() and (out[:32] == 1).all()
    finally:
        kernels.set_backend(previous)
