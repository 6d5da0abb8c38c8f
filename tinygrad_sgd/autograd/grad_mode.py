"""Grad mode: whether operations are recorded, and which Modules are running (for drawings).
Also the NumPy floating-point setting every op runs under."""
import functools
import inspect
import threading

import numpy as np

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "module_scope",
           "decorate", "set_multithreading_enabled", "is_multithreading_enabled",
           "is_view_replay_enabled"]


class _GradMode(threading.local):
    enabled = True
    anomaly = False
    anomaly_check_nan = True  # (anomaly mode with check_nan=False: only where nodes were made)
    modules = ()  # the Modules whose forward is running, outermost first (for graph drawing)
    slice_grads = False  # a backward walk without a graph is running: SliceGrads are welcome
    inference = False  # inside inference_mode(): new tensors are inference tensors
    profiler = None  # while torch.profiler records: what times each op (tinygrad_sgd.profiler)
    multithreading = True  # set_multithreading_enabled's flag (backward runs on the caller's
    # thread here either way: torch's worker threads serve accelerator devices)


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backpropagation."""
    return _mode.enabled


class _GradModeContext:
    """A grad mode for a ``with`` block (restored on exit) or a decorated function."""
    mode = True
    prev = None

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode
        return decorate(lambda: set_grad_enabled(mode), fn)

    def clone(self):
        return type(self)()


def decorate(make_context, fn):
    """``fn`` run inside a fresh ``make_context()`` (a grad mode) on each call, as torch's
    decorators. A generator function gets the mode inside its own body only, on every resume
    (the caller's loop between two ``yield``s runs in the caller's mode), as torch's
    ``_wrap_generator``."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with make_context():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make_context():
                            gen.close()
                        raise
                    except BaseException as e:     # thrown in by the caller: on to fn
                        with make_context():
                            response = gen.throw(e)
                    else:
                        with make_context():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value
        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_context():
            return fn(*args, **kwargs)
    return wrapper


class set_grad_enabled(_GradModeContext):
    """Turns graph recording on or off, as torch's: called as a function
    (``torch.set_grad_enabled(False)``) it switches at once, until switched back; as a context
    manager (``with set_grad_enabled(is_train):``) the previous mode comes back on exit; as a
    decorator it changes nothing until the function runs."""

    def __init__(self, mode: bool):
        self.prev = _mode.enabled
        self.mode = bool(mode)
        _mode.enabled = self.mode

    def __enter__(self):
        _mode.enabled = self.mode              # (the previous mode was taken at creation)
        return self

    def __call__(self, fn):
        _mode.enabled = self.prev              # a decorator: nothing changes now
        return super().__call__(fn)

    def clone(self):
        return type(self)(self.mode)

    def __repr__(self):
        from ..printing import OPTIONS
        return f"{OPTIONS.namespace}.autograd.grad_mode.set_grad_enabled(mode={self.mode})"


class no_grad(_GradModeContext):
    """``with no_grad():`` (or ``@no_grad()``, or ``@no_grad``) — run without recording a
    graph. Creating it changes nothing; entering the block does."""
    mode = False

    def __new__(cls, fn=None):
        if fn is not None:  # used bare, as torch allows: @no_grad
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)


class enable_grad(_GradModeContext):
    """``with enable_grad():`` (or ``@enable_grad()``, or ``@enable_grad``) — record a graph
    even inside no_grad."""
    mode = True

    def __new__(cls, fn=None):
        if fn is not None:  # used bare: @enable_grad
            return set_grad_enabled(True)(fn)
        return super().__new__(cls)


class set_multithreading_enabled:
    """torch's switch for a multithreaded backward, per thread: as a function it switches at
    once; as a context manager the previous value comes back on exit; as a decorator (which,
    as torch's, also switches at once) each call runs under it. Backward here always runs on
    the calling thread (torch's threads are for accelerator devices), so only the flag moves."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_multithreading_enabled(): argument 'enabled' (position 1) "
                            f"must be bool, not {type(mode).__name__}")
        self.prev, self.mode = _mode.multithreading, mode
        _mode.multithreading = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _mode.multithreading = self.prev

    def __call__(self, fn):
        return decorate(self.clone, fn)

    def clone(self):
        return type(self)(self.mode)


def is_multithreading_enabled() -> bool:
    return _mode.multithreading


def is_view_replay_enabled() -> bool:
    """torch's view replay (remaking views by their ops, for backends without as_strided) is
    switched by a private function only: off."""
    return False


class module_scope:
    """Used by ``Module.__call__``: nodes created inside are tagged with ``node.modules``
    (the stack of Modules running), so a graph drawing can cluster them by submodule."""

    def __init__(self, module):
        self.module = module

    def __enter__(self):
        _mode.modules = _mode.modules + (self.module,)

    def __exit__(self, *exc):
        _mode.modules = _mode.modules[:-1]
        return False


# Inside every op NumPy's floating-point warnings ("overflow encountered in multiply") are off:
# as in torch, an op that overflows gives inf or nan quietly (detect_anomaly() finds where).
# np.errstate(all="ignore") rebuilds its state on each entry (~1 µs, a fifth of a small op), so
# with NumPy >= 2 its context variable is set to a state built once; elsewhere np.errstate.
# Used as ``token = np_fp_state.set(FP_IGNORE)`` ... ``np_fp_state.reset(token)``.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as np_fp_state, _make_extobj
    FP_IGNORE = _make_extobj(all="ignore")
except Exception:  # another NumPy layout: the same two calls on top of np.seterr
    class _SetErr:
        @staticmethod
        def set(_):
            return np.seterr(all="ignore")

        @staticmethod
        def reset(old):
            np.seterr(**old)
    np_fp_state, FP_IGNORE = _SetErr, None
