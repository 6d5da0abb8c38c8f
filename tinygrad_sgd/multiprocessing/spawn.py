"""torch.multiprocessing.spawn: run ``fn(i, *args)`` for i in 0..nprocs-1, each in its own
process, and wait for them; the first to fail stops the others and is raised here — with the
child's traceback when it raised (ProcessRaisedException), with its exit code or signal when it
died (ProcessExitedException). Each child reports an exception through a file of its own (a
one-shot message, no queue to deadlock on)."""
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import traceback
import warnings

__all__ = ["ProcessException", "ProcessRaisedException", "ProcessExitedException",
           "ProcessContext", "SpawnContext", "start_processes", "spawn"]


class ProcessException(Exception):
    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child process raised: the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child process exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _run_child(fn, i, args, error_file):
    """The child's body: ``fn(i, *args)``; an exception's traceback goes to ``error_file`` and
    the child exits with 1 (Ctrl-C from the parent ends it quietly). The child gets SIGINT
    if the parent dies first (Linux's PR_SET_PDEATHSIG, as torch)."""
    _interrupt_when_parent_dies()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        with open(error_file, "wb") as f:
            pickle.dump(traceback.format_exc(), f)
        sys.exit(1)


def _interrupt_when_parent_dies():
    if sys.platform.startswith("linux"):
        import ctypes
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class ProcessContext:
    """The started processes; :meth:`join` waits for them."""

    def __init__(self, processes, error_files):
        self.processes, self.error_files = processes, error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """Wait (at most ``timeout`` seconds) for a process to end. True once all have ended
        well, False while some still run; when one failed, the others are stopped (after
        ``grace_period`` seconds, SIGTERM, then SIGKILL) and its failure is raised."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0:
                failed = i
                break
        if failed is None:
            return not self.sentinels
        self._stop_the_others(grace_period)
        raise self._failure(failed)

    def _stop_the_others(self, grace_period):
        self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()

    def _join_all(self, seconds):
        if seconds is None:
            return
        import time
        end = time.monotonic() + seconds
        for p in self.processes:
            p.join(max(0.0, end - time.monotonic()))

    def _failure(self, i):
        process, path = self.processes[i], self.error_files[i]
        if os.access(path, os.R_OK):
            with open(path, "rb") as f:
                trace = pickle.load(f)
            return ProcessRaisedException(
                f"\n\n-- Process {i:d} terminated with the following error:\n{trace}", i,
                process.pid)
        code = process.exitcode
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"<Unknown signal {-code}>"
            return ProcessExitedException(f"process {i:d} terminated with signal {name}", i,
                                          process.pid, exit_code=code, signal_name=name)
        return ProcessExitedException(f"process {i:d} terminated with exit code {code:d}", i,
                                      process.pid, exit_code=code)


class SpawnContext(ProcessContext):
    def __init__(self, processes, error_files):
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      stacklevel=2)
        super().__init__(processes, error_files)


def _error_file():
    """A path no file is at yet (the child creates it only if it raises)."""
    f = tempfile.NamedTemporaryFile(prefix="tinygrad_sgd-errorfile-", suffix=".pickle",
                                    delete=False)
    f.close()
    os.unlink(f.name)
    return f.name


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes of ``start_method`` running ``fn(i, *args)``; with ``join``
    wait for all (None), else return their :class:`ProcessContext`."""
    context = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        error_files.append(_error_file())
        p = context.Process(target=_run_child, args=(fn, i, args, error_files[-1]),
                            daemon=daemon)
        p.start()
        processes.append(p)
    started = ProcessContext(processes, error_files)
    if not join:
        return started
    while not started.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """:func:`start_processes` with the ``spawn`` start method (another ``start_method`` is
    deprecated: torch warns and uses it, as here)."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      f"To use a different start_method use:\n\t\t "
                      f"torch.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
