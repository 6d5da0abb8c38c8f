"""Run several programs of this folder in one process and report what each printed — so that
torch (slow to import on a busy machine) is imported once. Used by tests/test_as_torch.py.

    python _driver.py torch    RUNS_JSON     each program on real torch
    python _driver.py as_torch RUNS_JSON     each through tinygrad_sgd.as_torch.run_script

On real torch, ``torchvision`` is the installed one when it imports, else the stand-in in
``_reference/`` (see its notes); the report says which (key ``"torchvision"``).

RUNS_JSON is a list of ``[name, path, [args ...]]``. Each program runs as ``python path args``
would (``sys.argv``, ``__name__ == "__main__"``), its standard output captured. The last line
printed is a JSON object ``{name: {"stdout": ..., "error": null or [type, message, traceback],
"seconds": ...}}``.
"""
import contextlib
import io
import json
import os
import runpy
import sys
import time
import traceback


def run_on_torch(path, args):
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path


def torchvision_for_torch():
    """'installed' when the real torchvision imports, else put the stand-in first."""
    try:
        import torchvision  # noqa: F401
        return "installed"
    except Exception:  # noqa: BLE001 - missing, or a build that does not load with this torch
        for name in [n for n in sys.modules if n.split(".")[0] == "torchvision"]:
            del sys.modules[name]
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "_reference"))
        return "stand-in"


def main():
    mode, runs = sys.argv[1], json.loads(sys.argv[2])
    results = {}
    if mode == "torch":
        import torch
        torch.set_num_threads(1)        # tiny tensors; a busy 2-core machine
        results["torchvision"] = torchvision_for_torch()
        run = run_on_torch
    else:
        from tinygrad_sgd.as_torch import run_script as run
    for name, path, args in runs:
        out, error, start = io.StringIO(), None, time.perf_counter()
        try:
            with contextlib.redirect_stdout(out):
                run(path, args)
        except BaseException as e:  # noqa: BLE001 - reported to the test, which decides
            error = [type(e).__name__, str(e), traceback.format_exc()]
        results[name] = {"stdout": out.getvalue(), "error": error,
                         "seconds": round(time.perf_counter() - start, 2)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
