"""Run a program written for PyTorch on this library, unchanged::

    python -m tinygrad_sgd.as_torch script.py [args ...]
    tinygrad-sgd run script.py [args ...]
    python -m tinygrad_sgd.as_torch --draw-graph graphs/ script.py [args ...]

Inside the program ``import torch`` (``torch.nn``, ``torch.nn.functional``, ``torch.optim``,
``torch.optim.lr_scheduler``, ``torch.autograd``, ``torch.utils.data``, ``torchvision``,
``torchvision.datasets``, ``torchvision.transforms``) gives this library
(:mod:`tinygrad_sgd._torch_shim`); anything the library does not provide raises
``NotImplementedError: torch.xyz is not provided by tinygrad_sgd`` where the program first
touches it. The program runs as ``python script.py`` would run it: ``sys.argv`` is
``[script.py, args ...]``, ``__name__ == "__main__"``, its folder is first on ``sys.path``.

``--draw-graph DIR`` also saves the computation graph of the first ``backward()`` the program
calls — after that backward, with every value and gradient — to ``DIR/backward.svg`` (or
``DIR/backward.dot`` when Graphviz's ``dot`` is missing), naming the program's tensors by their
variable names, then lets the program go on exactly as without it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import runpy
import sys
import traceback

from ._torch_shim import CHILDREN_DIR, torch_modules

__all__ = ["main", "run_script", "build_parser"]

PROG = "python -m tinygrad_sgd.as_torch"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_SHIM_DIR = os.path.join(_PACKAGE_DIR, "_torch_shim")


def build_parser(prog=PROG):
    p = argparse.ArgumentParser(
        prog=prog, description="Run a PyTorch program on tinygrad_sgd, unchanged: its "
                               "`import torch` gets this library.")
    p.add_argument("--draw-graph", metavar="DIR", default=None,
                   help="also save the graph of the first backward() to DIR/backward.svg")
    p.add_argument("script", help="the program (a .py file)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its own arguments")
    return p


def main(argv=None, prog=PROG) -> int:
    """The command line; returns the exit status (the program's own ``sys.exit`` passes
    through as SystemExit)."""
    args = build_parser(prog).parse_args(sys.argv[1:] if argv is None else list(argv))
    if not os.path.isfile(args.script):
        print(f"{prog}: can't open file {args.script!r}: no such file", file=sys.stderr)
        return 2
    try:
        run_script(args.script, args.args, draw_graph=args.draw_graph)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:  # noqa: BLE001 - reported as Python reports it, exit status 1
        _print_program_traceback(e, args.script)
        return 1
    return 0


def _print_program_traceback(error, script):
    """The traceback as ``python script.py`` prints it: from the program's first frame on,
    without the runner's frames nor those of the torch module objects (a name that is not
    provided is reported at the program's line that asked for it)."""
    script = os.path.abspath(script)
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    report = traceback.TracebackException(type(error), error, tb)
    report.stack = traceback.StackSummary.from_list(
        [frame for frame in report.stack if not frame.filename.startswith(_SHIM_DIR)])
    print("".join(report.format()), end="", file=sys.stderr)


def run_script(path, args=(), draw_graph=None):
    """Run the program at ``path`` with ``args`` as ``python path args...`` would, with
    ``torch`` resolved to this library; returns the program's globals. ``sys.argv``,
    ``sys.path``, the modules named torch and the default dtype (a program may call
    ``torch.set_default_dtype``) are restored afterwards."""
    path = os.fspath(path)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.path.insert(1, CHILDREN_DIR)      # a spawned child's ``import torch`` (see there)
    from .printing import OPTIONS
    from .dtypes import get_default_dtype, set_default_dtype
    saved_namespace, OPTIONS.namespace = OPTIONS.namespace, "torch"   # torch.float32, torch.Size
    saved_dtype = get_default_dtype()
    try:
        with torch_modules(), _first_backward_drawn(draw_graph):
            return runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        OPTIONS.namespace = saved_namespace
        set_default_dtype(saved_dtype)


# ------------------------------------------------------------------ --draw-graph
@contextlib.contextmanager
def _first_backward_drawn(directory):
    """While active, the first call of ``autograd.backward`` (which ``Tensor.backward`` calls)
    keeps its graph long enough to be drawn, saves the picture, then frees the graph as the
    call would have (unless it asked to retain it)."""
    if directory is None:
        yield
        return
    from . import autograd
    original = autograd.backward
    done = []

    def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, **more):
        if done:
            return original(tensors, grad_tensors, retain_graph, create_graph, **more)
        retain = create_graph if retain_graph is None else retain_graph
        original(tensors, grad_tensors, True, create_graph, **more)
        done.append(True)                     # (a backward that raised is not the first)
        _save_graph(tensors, directory, _user_tensors(sys._getframe(1)))
        if not retain:
            _release_graph(tensors)

    autograd.backward = backward
    try:
        yield
    finally:
        autograd.backward = original


def _user_tensors(frame):
    """The program's tensors by variable name, in the first frame of the program (outside
    this library): its globals, then its locals (which win)."""
    from .tensor import Tensor
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return {}
    named = {}
    for scope in (frame.f_globals, frame.f_locals):
        for name, value in scope.items():
            if isinstance(value, Tensor) and not name.startswith("_"):
                named[name] = value
    return named


def _save_graph(tensors, directory, params):
    """Draw the graph of ``tensors`` into ``directory``; report on stderr, never raise."""
    from .tensor import Tensor
    from .viz import save_graph
    from .viz.render import dot_available
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    name = "backward.svg" if dot_available() else "backward.dot"
    path = os.path.join(directory, name)
    try:
        save_graph(roots[0] if len(roots) == 1 else roots, path, params=params or None,
                   show_grads=True)
    except Exception as e:  # noqa: BLE001 - the program must go on whatever the drawing does
        print(f"as_torch: --draw-graph: could not draw the graph: {type(e).__name__}: {e}",
              file=sys.stderr)
        return
    note = "" if name.endswith(".svg") else " (Graphviz's dot not found: DOT source)"
    print(f"as_torch: saved the graph of the first backward() to {path}{note}",
          file=sys.stderr)


def _release_graph(tensors):
    """Free the saved arrays of every node of the graph, as a backward without
    ``retain_graph`` does."""
    from .autograd import Function
    from .tensor import Tensor
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    stack = [t.grad_fn for t in roots if isinstance(t, Tensor) and t.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.release()
        stack.extend(n for n in node._edges if isinstance(n, Function))


if __name__ == "__main__":
    sys.exit(main())
