"""What the first Tensor subclass changes (torch_function.install puts a dispatching wrapper in
place of every public function): nothing a user can see. Each test runs in a fresh process, so
that the install happens there, whatever the tests before it did."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(source, tmp_path, module="tinygrad_sgd"):
    """Run ``source`` (with ``L`` the library under test) as a script in a fresh process;
    its last printed line, as JSON."""
    script = tmp_path / "script.py"
    script.write_text(f"import {module} as L\n" + textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


ALIASES = """
import importlib, json, types
SPACES = ("tinygrad_sgd", "tinygrad_sgd.special", "tinygrad_sgd.linalg",
          "tinygrad_sgd.nn.functional")

def names():
    out = {}
    for space in SPACES:
        module = importlib.import_module(space)
        for name, value in vars(module).items():
            if not name.startswith("_") and type(value) is types.FunctionType:
                out[f"{space}.{name}"] = value
    return out

# Tensor's methods apart: Tensor.absolute stays Tensor.abs, but Tensor.cos (a method, handing
# over Tensor.cos) is no longer tinygrad_sgd.cos, as in torch (clip and clamp are two
# functions, as torch's, each named in its own messages)
def methods():
    return {name: value for name, value in vars(L.Tensor).items()
            if type(value) is types.FunctionType}

def groups(found):              # the names of one object, for each object with several
    by_id = {}
    for name, value in found.items():
        by_id.setdefault(id(value), []).append(name)
    return sorted(sorted(g) for g in by_id.values() if len(g) > 1)

before, before_methods = names(), methods()

class Sub(L.Tensor):
    pass

after, after_methods = names(), methods()
print(json.dumps({"before": groups(before), "after": groups(after),
                  "methods_before": groups(before_methods),
                  "methods_after": groups(after_methods),
                  "wrapped": after["tinygrad_sgd.digamma"] is not before["tinygrad_sgd.digamma"],
                  "psi": L.special.psi is L.digamma, "erf": L.special.erf is L.erf,
                  "names": [L.special.psi.__name__, L.subtract.__name__, L.clip.__name__,
                            L.Tensor.clip.__name__, L.Tensor.arctan2.__name__],
                  "method": L.ones(2).clip(0, 0.5).tolist()}))
"""


def test_aliases_stay_one_object_after_install(tmp_path):
    got = _run(ALIASES, tmp_path)
    assert got["wrapped"]                       # (the install did happen)
    assert len(got["before"]) >= 19 and len(got["methods_before"]) >= 15
    assert got["after"] == got["before"]        # same objects the same, others distinct
    assert got["methods_after"] == got["methods_before"]
    assert got["psi"] and got["erf"]
    assert got["names"] == ["digamma", "sub", "clip", "clip", "atan2"]     # (torch's names)
    assert got["method"] == [0.5, 0.5]


# each warning-raising call on its own line; the script prints (filename, line) of each warning
WARNINGS = """
import json, warnings
import numpy as np

class Sub(L.Tensor):
    pass

F = L.nn.functional
t = (L.ones(1, requires_grad=True) * 2).sum()
calls = [
    lambda: float(t),
    lambda: F.softmax(L.ones(2, 3)),
    lambda: F.log_softmax(L.ones(2, 3)),
    lambda: L.ones(3).storage(),
    lambda: L.qr(L.eye(2)),
    lambda: L.cholesky(L.eye(2)),
    lambda: L.range(0, 2),
    lambda: L.triangular_solve(L.ones(2, 1), L.eye(2)),
    lambda: L.frobenius_norm(L.ones(2, 2), dim=(0, 1)),
    lambda: L.nuclear_norm(L.eye(2)),
    lambda: F.upsample(L.ones(1, 1, 2), scale_factor=2),
]
seen = []
for call in calls:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    seen.append([[w.filename.rsplit("/", 1)[-1], w.lineno, w.category.__name__]
                 for w in caught])
print(json.dumps(seen))
"""


@pytest.mark.parametrize("module", ["tinygrad_sgd", "torch"])
def test_warnings_name_the_callers_line_after_install(tmp_path, module):
    got = _run(WARNINGS, tmp_path, module)
    lines = (tmp_path / "script.py").read_text().splitlines()
    first = next(i for i, s in enumerate(lines) if s.startswith("calls = [")) + 2   # 1-based
    wrong = [(lines[first + i - 1].strip(), caught) for i, caught in enumerate(got)
             if caught != [["script.py", first + i, "UserWarning"]]]
    assert len(got) == 11 and wrong == []
