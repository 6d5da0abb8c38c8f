"""Use both cores: split the big copies and matrix products of convolution and pooling.

NumPy releases the GIL inside copies, arithmetic and BLAS calls, so two Python threads that
each handle half of an array really run in parallel. ``parallel_for(n, fn)`` splits
``range(n)`` into one contiguous chunk per thread and calls ``fn(start, stop)`` for each.
Splitting a skinny matrix product ourselves (each thread one block of columns, BLAS single-
threaded inside it) scales better than BLAS's own threading for these shapes; for that
OpenBLAS's thread count is set to 1 while the chunks run and put back after (``blas=True``):
the rest of the program (a GPT's big products) keeps every BLAS thread it asked for. Where that
control is missing (another BLAS), work containing BLAS calls is not split.
(OpenBLAS's ``openblas_set_num_threads_local``, tried first, is not thread-local in NumPy's
pthreads build: one call from a worker left every later product single-threaded.)

With the compiled kernels active, non-BLAS work goes to spinning workers instead of the pool
(see "spinning workers" below): a hand-over in ~15–20 µs, not the ~85 µs of waking a thread —
unless NumPy's OpenBLAS runs several threads that may be spinning themselves
(:func:`_blas_may_spin`).

The thread count follows torch's API: ``set_num_threads(n)`` / ``get_num_threads()``; the
default is ``$OMP_NUM_THREADS`` (or ``$OPENBLAS_NUM_THREADS``) if set, else the number of cores.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .backend import compiled
from .openblas import blas_threads as _blas_threads

_executor = None


def _default_threads():
    for var in ("TINYGRAD_SGD_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


_num_threads = _default_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the library's intra-op work, as torch's: its own splits and NumPy's
    OpenBLAS, whose thread count is set to ``n`` too (the matrix products; where a section
    runs OpenBLAS single-threaded now, it puts ``n`` back at its end). 1 = single-threaded."""
    global _num_threads, _executor, _single_saved
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _num_threads = n
    control = _blas_threads()
    if control is not None:
        with _single_lock:
            if _single_depth == 0:
                control[1](n)
            else:
                _single_saved = n
    # The old pool is dropped, not shut down: another thread may be submitting to it right
    # now (its workers exit once it is garbage-collected).
    _executor = None
    _resize_crew(n - 1)


def get_num_threads() -> int:
    return _num_threads


# Below this many elements a hand-off to the sleeping pool (~85 µs here) costs more than it saves;
# work with BLAS calls in it needs about twice as much (measured on the tutorial CNN).
MIN_PARALLEL_ELEMENTS = 1 << 20
# The spinning workers below hand work over in ~15–20 µs: they take work from this much on. (With
# a worker that still slept on the GIL at every hand-over (~40 µs), 2^20 was best; since the
# pause was fixed, 2^18 — the CNN's relu, masks and second pooling split at batch 256 too — made
# the batch-256 step on two threads 7-8% faster, batch 64 1-2%, a small GPT's ~1%, in same-
# process comparisons with each setting run twice; 2^17 and 2^16 were no better.)
MIN_CREW_ELEMENTS = 1 << 18
MIN_PARALLEL_BLAS_ELEMENTS = 1 << 21


def _pool():
    """The worker threads."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_num_threads, thread_name_prefix="tinygrad_sgd")
    return _executor


def parallel_for(n: int, fn, work: int = MIN_PARALLEL_BLAS_ELEMENTS, blas: bool = False,
                 served=None) -> None:
    """Call ``fn(start, stop)`` on contiguous chunks covering ``range(n)``, one per thread
    (just ``fn(0, n)`` when single-threaded, or when ``work`` — the number of elements
    touched — is too small to be worth it). ``blas=True``: ``fn`` calls BLAS, so every chunk
    goes to a worker thread, and BLAS is single-threaded until they are all done. Every chunk
    runs in the caller's NumPy floating-point error state (``np.errstate`` is per thread).
    ``served``: optionally ``served(start, stop)``, the compiled-kernel calls that do
    ``fn(start, stop)`` (:mod:`.compiled.served`), for a spinning worker to run without the
    GIL."""
    threads = min(_num_threads, n)
    if threads <= 1 or _pairing or \
            work < (MIN_PARALLEL_BLAS_ELEMENTS if blas else MIN_CREW_ELEMENTS) \
            or (blas and _blas_threads() is None):
        fn(0, n)
        return
    bounds = [n * k // threads for k in range(threads + 1)]
    chunks = list(zip(bounds[:-1], bounds[1:]))
    if not blas and _crew.run(fn, chunks, served):     # the spinning workers were free
        return
    if not blas and work < MIN_PARALLEL_ELEMENTS:
        fn(0, n)
        return
    pool = _pool()                     # one pool for all chunks, even if it is replaced now
    if not blas:                       # the calling thread takes the first chunk itself
        fp = np.geterr()               # (the caller's floating-point error state, for its chunks)
        futures = [pool.submit(_in_fp_state, fp, fn, a, b) for a, b in chunks[1:]]
        fn(*chunks[0])
        for f in futures:
            f.result()
        return
    def run_chunks():
        futures = [pool.submit(fn, a, b) for a, b in chunks]
        for f in futures:
            f.result()
    blas_single_threaded(run_chunks)


def run_calls(calls) -> None:
    """Run compiled-kernel calls ``[(kernel, *args), ...]`` one after the other, here."""
    for kernel, *args in calls:
        kernel(*args)


def parallel_calls(n: int, calls, work: int) -> None:
    """:func:`parallel_for` of work described as compiled-kernel calls: ``calls(start, stop)``
    gives the ``[(kernel, *args), ...]`` that do chunk start..stop. The calling thread runs its
    chunk's calls; a spinning worker runs its chunk's without taking the GIL where they can be
    served (:mod:`.compiled.served`) — the same kernels on the same arguments either way."""
    parallel_for(n, lambda a, b: run_calls(calls(a, b)), work, served=calls)


_pairing = False      # a pair of tasks is running: parallel_for inside them runs unsplit


def blas_threads_sleep() -> bool:
    """Whether NumPy's OpenBLAS runs several threads that sleep right after each product (so
    a threaded product first wakes one) and its thread count is in our reach."""
    return not _blas_may_spin() and _blas_threads() is not None and _blas_threads()[0]() > 1


def pairs_possible() -> bool:
    """Whether :func:`run_pair` can run pairs at all (two threads, the compiled kernels' worker,
    OpenBLAS's thread count in reach and its threads quiet); it may still decline one when the
    worker is busy at the time."""
    return _num_threads == 2 and _crew.size == 1 and compiled() is not None and \
        not _blas_may_spin() and _blas_threads() is not None


def run_pair(first, second, second_calls=None) -> bool:
    """``first()`` on this thread and ``second()`` on the spinning worker at the same time,
    each whole on its own core: BLAS single-threaded and :func:`parallel_for` unsplit inside
    both (two independent gradients of one op — a linear layer's two products, a
    convolution's input and weight gradients). True when done so; False, with nothing run,
    when that cannot be (not two threads, not the compiled kernels, OpenBLAS's threads may
    spin, BLAS's threads out of reach, the worker busy) — then the caller runs them itself.
    The tasks must not share scratch memory; arrays from :mod:`.buffers` are safe (one in
    use by a task is referenced from its frame, so never handed to the other).
    ``second_calls``: optionally the compiled-kernel calls that do ``second()``'s work
    (:mod:`.compiled.served`), for the worker to run without the GIL."""
    global _pairing
    if not pairs_possible() or _crew.lock.locked() or _pairing:
        return False
    tasks = (first, second)

    def run():
        if not _crew.run(lambda i, _: tasks[i](), [(0, 1), (1, 2)],
                         None if second_calls is None else lambda a, b: second_calls):
            first()            # (taken meanwhile: one after the other, still on one BLAS thread)
            second()
    _pairing = True
    try:
        blas_single_threaded(run)
    finally:
        _pairing = False
    return True


def _in_fp_state(fp, fn, a, b):
    with np.errstate(**fp):
        return fn(a, b)


_single_lock = threading.Lock()
_single_depth = 0          # callers inside blas_single_threaded now
_single_saved = 1          # OpenBLAS's thread count before the first of them came in


def blas_single_threaded(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with NumPy's OpenBLAS on one thread, its thread count put back
    after. Calls from several threads at once share one count: the count the first found is
    the one the last puts back. (OpenBLAS's count is process-wide; each caller saving and
    restoring its own could leave it at 1 for good.)"""
    global _single_depth, _single_saved
    control = _blas_threads()
    if control is None:
        return fn(*args, **kwargs)
    get, put = control
    with _single_lock:
        if _single_depth == 0:
            _single_saved = get()
            if _single_saved > 1:
                put(1)
        _single_depth += 1
    try:
        return fn(*args, **kwargs)
    finally:
        with _single_lock:
            _single_depth -= 1
            if _single_depth == 0 and _single_saved > 1:
                put(_single_saved)


# --- spinning workers ---------------------------------------------------------------------
# A worker that sleeps between jobs is woken by the kernel, and on this kind of virtual machine
# (no halt polling) that takes ~40 µs each way: a ping-pong through a threading.Event measured
# 80 µs, as much as a whole small kernel. So, with the compiled kernels, the workers of
# ``parallel_for`` (non-BLAS work) wait for the next job spinning in a compiled loop that holds
# no GIL (``compiled.spin``), for a millisecond or two, and only then sleep:
#
#   caller: publish the chunks, flag the job; run chunk 0; spin (no GIL) until every worker has
#           flagged "done", which it does from inside its next spin, having let go of the GIL
#   worker: spin (no GIL) until the job's flag; linger GRACE_NS more, so that the caller is
#           inside its own kernel (not holding the GIL) when the worker takes it; run its chunk
#
# Nobody waits for the GIL while its holder is about to let go of it, so nobody sleeps.
# (The linger is a time, inside the compiled poll, before the GIL is taken. Measured on a job of
# two chunks, from the call: the worker's chunk started after 27-29 µs with no linger — it asked
# for the GIL while the caller still held it and slept until woken —, after 16-20 µs with 6-10
# µs of linger, and after 33 µs with 3 µs, which made the caller wait too.)

SPIN_POLLS = 1 << 20      # ~2 ms of polling (with a yield every YIELD_POLLS) before sleeping
YIELD_POLLS = 256         # polls between two sched_yield calls (each ~0.3 µs)
GRACE_NS = 8_000          # the caller reaching its own kernel after flagging the job: a few µs
_JOB, _DONE = 0, 1        # the columns of the flags: the job number flagged, the one done


class _Crew:
    """The spinning workers (``size`` of them beside the caller). Their flags, chunks and
    wake-up conditions are made afresh when the size changes; old workers then exit."""

    def __init__(self, size):
        self.size = size
        self.lock = threading.Lock()     # one caller at a time (others use the pool)
        self.state = None

    def run(self, fn, chunks, served=None):
        """Run ``fn`` on every chunk, the first on this thread: False (nothing run) if the
        crew cannot (not the compiled kernels, OpenBLAS's threads may be spinning, another
        caller, or chunks ≠ workers + 1). ``served``: None, or ``served(a, b)`` giving the calls
        that do ``fn(a, b)``'s work as compiled kernels (:mod:`.compiled.served`): a worker
        whose calls can be packed runs them without taking the GIL."""
        if len(chunks) - 1 != self.size or _blas_may_spin() or \
                not self.lock.acquire(blocking=False):
            return False
        try:
            if compiled() is None:          # (the NumPy kernel set: no compiled poll loop)
                return False
            st = self.state
            if st is None:
                st = self.state = _CrewState(self.size, compiled())
                st.start()
            st.job += 1
            job, flags, scratch, spin = st.job, st.flags, st.scratch, st.spin
            for k, (a, b) in enumerate(chunks[1:]):
                # a job the worker's poll loop runs itself, written in its row; else a Python
                # job, in NumPy's floating-point error state of the caller
                if served is None or st.pack(served(a, b), st.jobs[k]) is None:
                    st.chunks[k] = (fn, a, b, np.geterr())
                    st.jobs[k, 0] = 0
                st.errors[k] = None
                flags[k, _JOB] = job
                # (read without the lock: a worker marks itself sleeping, then looks at its flag,
                # under the GIL's one order of events: if it was not sleeping when read here, it
                # sees the flag just set and does not wait)
                if st.sleeping[k]:
                    with st.wake[k]:
                        st.wake[k].notify()
            error = None
            try:
                fn(*chunks[0])
            except BaseException as e:    # the workers' chunks still have to finish
                error = e
            for k in range(self.size):
                while not spin(flags, k, -1, _DONE, job, SPIN_POLLS, YIELD_POLLS, scratch):
                    pass
                error, st.errors[k] = error or st.errors[k], None
            if error is not None:
                raise error
            return True
        finally:
            self.lock.release()


_quiet_blas = None


def _blas_may_spin():
    """True when NumPy's OpenBLAS may keep idle threads spinning for ~2^28 cycles after a
    threaded product (its default): spinning workers of ours would fight them for the cores
    (measured: a training epoch 2x slower), so the sleeping pool is used instead. Not when
    ``OPENBLAS_THREAD_TIMEOUT`` is small (tinygrad_sgd sets 4 at its import: .openblas) or
    OpenBLAS runs one thread."""
    global _quiet_blas
    if _quiet_blas is None:
        value = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")
        _quiet_blas = value.isdigit() and int(value) <= 10
    if _quiet_blas:
        return False
    control = _blas_threads()
    return control is not None and control[0]() > 1


class _CrewState:
    def __init__(self, n, fast):
        self.spin, self.serve, self.pack = fast.spin.spin, fast.spin.serve, fast.served.pack
        self.flags = np.zeros((n, 2), np.int64)
        self.jobs = np.zeros((n, fast.served.MAX_CALLS * fast.served.SLOTS), np.int64)
        self.scratch = np.zeros(3, np.int64)
        self.chunks, self.errors = [None] * n, [None] * n
        self.wake = [threading.Condition() for _ in range(n)]
        self.sleeping = [False] * n
        self.job = 0
        self.retired = False

    def retire(self):
        """Let the workers exit (the crew was replaced)."""
        self.retired = True
        for cond in self.wake:
            with cond:
                cond.notify()

    def start(self):
        for k in range(len(self.chunks)):
            threading.Thread(target=self.work, args=(k,), name=f"tinygrad_sgd-spin-{k}",
                             daemon=True).start()

    def work(self, k):
        flags, serve, scratch = self.flags, self.serve, np.zeros(3, np.int64)
        done, fp_now = -1, None
        while not self.retired:
            # served jobs run inside serve; a Python job comes back to run here
            job = serve(flags, k, done, self.jobs, SPIN_POLLS, YIELD_POLLS, scratch, GRACE_NS)
            done = -1
            if job < 0:                       # a served kernel raised
                self.errors[k] = RuntimeError("a compiled kernel failed on the worker thread "
                                              "(it raised inside a served job)")
                done = -job
                continue
            if job == 0:
                with self.wake[k]:            # nothing for a while: sleep until notified
                    self.sleeping[k] = True
                    while flags[k, _JOB] == flags[k, _DONE] and not self.retired:
                        self.wake[k].wait()
                    self.sleeping[k] = False
                continue                      # (serve takes the job: the pause, no GIL)
            fn, a, b, fp = self.chunks[k]
            self.chunks[k] = None
            try:
                if fp != fp_now:              # (NumPy's error state is each thread's own)
                    np.seterr(**fp)
                    fp_now = fp
                fn(a, b)
            except BaseException as e:
                self.errors[k] = e
            del fn                            # nothing of the job outlives it (its arrays)
            done = job


def _resize_crew(n):
    """A new crew of ``n`` workers; the old one's retire once its job in flight is done."""
    global _crew
    old, _crew = _crew, _Crew(max(0, n))
    if old.lock.acquire(timeout=10):
        old.lock.release()
    if old.state is not None:
        old.state.retire()


def _after_fork():
    """A forked child has none of its parent's threads: it starts its own when needed, and
    nothing of theirs is in flight (a pair, a single-threaded BLAS section, the lock around
    its count — perhaps held by a parent's thread that does not exist here)."""
    global _crew, _executor, _pairing, _single_lock, _single_depth
    _crew, _executor = _Crew(max(0, _num_threads - 1)), None
    if _single_depth and _single_saved > 1:     # BLAS's count, as before that section
        _blas_threads()[1](_single_saved)
    _pairing, _single_lock, _single_depth = False, threading.Lock(), 0


_crew = _Crew(max(0, _num_threads - 1))
os.register_at_fork(after_in_child=_after_fork)


# torch's inter-op thread pool (the threads that run independent ops side by side) does not
# exist here; its count is kept with torch's rules: set once, to a positive int, then fixed.
_num_interop_threads = None


def get_num_interop_threads() -> int:
    """torch.get_num_interop_threads: the number set, else the intra-op default (cores)."""
    return _num_interop_threads if _num_interop_threads is not None else _default_threads()


def set_num_interop_threads(n: int) -> None:
    """torch.set_num_interop_threads: only once (RuntimeError after, as torch's)."""
    global _num_interop_threads
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got "
                           f"{type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _num_interop_threads is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _num_interop_threads = n


def init_num_threads() -> None:
    """torch.init_num_threads: set up the threads of the calling thread (nothing to do here:
    the count is read from ``set_num_threads``/the environment when work is split)."""
