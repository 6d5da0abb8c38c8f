"""``tinygrad_sgd.compile`` and ``tinygrad_sgd.compiler``: torch's ``torch.compile`` API.

This library has no compiler. ``compile`` behaves as torch's ``torch.compile(...,
backend="eager")``: the same numbers as the uncompiled program and no speedup — every
backend name torch lists runs eagerly here. What a program can observe is torch's: a Module
comes back wrapped in an :class:`OptimizedModule` (``state_dict`` keys prefixed with
``_orig_mod.``, ``._orig_mod`` the original, attributes forwarded), a function comes back
wrapped in a function, ``compile`` works as a decorator with and without arguments, and the
arguments are checked as torch checks them. ``fullgraph``, ``dynamic`` and ``options`` only
steer a compiler, so they change nothing here; a callable ``backend`` (which torch would hand
an FX graph) cannot be honoured and raises NotImplementedError.
"""
import functools

# torch.compiler's names (``compile`` is torch.compile; ``OptimizedModule`` is reached as an
# attribute, as torch's is in torch._dynamo)
__all__ = ["compile", "reset", "is_compiling", "is_dynamo_compiling", "disable", "list_backends"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm", "eager", "aot_eager",
             "aot_eager_decomp_partition")


def list_backends(exclude_tags=("debug", "experimental")):
    """torch's backend names (all of them run eagerly here)."""
    return sorted(b for b in _BACKENDS
                  if not (exclude_tags and b in ("eager", "aot_eager",
                                                 "aot_eager_decomp_partition")))


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend: an unknown backend name."""

    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for "
                         "available backends.")


def _check(backend, mode, options):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if callable(backend):
        raise NotImplementedError("compile: a custom (callable) backend needs torch's FX "
                                  "graphs, which this library does not build; use a backend "
                                  "name (every one runs eagerly here)")
    if backend is not None and backend not in _BACKENDS:
        raise InvalidBackend(backend)


def _module_class():
    from .nn.module import Module
    return Module



def _make_optimized_module_class():
    Module = _module_class()

    class OptimizedModule(Module):
        """torch's ``OptimizedModule``: wraps ``_orig_mod``; calls, attributes and training
        mode are the original's (here nothing is compiled: see the module's docstring)."""

        def __init__(self, mod):
            super().__init__()
            self._orig_mod = mod

        def forward(self, *args, **kwargs):
            return self._orig_mod(*args, **kwargs)

        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.__dict__["_modules"]["_orig_mod"], name)

    OptimizedModule.__qualname__ = "OptimizedModule"
    OptimizedModule.__module__ = __name__
    return OptimizedModule


def __getattr__(name):
    if name == "OptimizedModule":
        global OptimizedModule
        OptimizedModule = _make_optimized_module_class()
        return OptimizedModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """torch.compile, run eagerly (torch's ``backend="eager"``): the same numbers, no
    speedup. A Module gives an :class:`OptimizedModule`, a function a wrapped function; with
    ``model`` omitted, a decorator. ``disable=True`` gives ``model`` back unchanged."""
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)
        return decorator          # (torch checks the arguments when it is applied)
    _check(backend, mode, options)
    if disable:
        return model
    if isinstance(model, _module_class()):
        import sys
        return getattr(sys.modules[__name__], "OptimizedModule")(model)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled_fn(*args, **kwargs):
        return model(*args, **kwargs)
    compiled_fn._torchdynamo_orig_callable = model
    return compiled_fn


def reset():
    """torch.compiler.reset: clear the compile caches (there are none here)."""


def is_compiling():
    """False: nothing is ever being traced here."""
    return False


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive=True, *, reason=None):
    """torch.compiler.disable: run ``fn`` uncompiled — which is how everything runs here."""
    if fn is None:
        return lambda f: f
    return fn
