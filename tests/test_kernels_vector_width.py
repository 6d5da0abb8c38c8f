"""The compiled kernels use the CPU's widest vectors: where it has AVX-512, numba's CPU features
get ``-prefer-256-bit`` (LLVM's tuning for Intel's AVX-512 cores would otherwise vectorize
with 256-bit registers), unless the program chose numba's CPU features or name itself, or a
numba function compiled before the kernels were imported (``kernels/compiled/__init__.py``).

Each case runs in a fresh process: numba reads its CPU features once per process.
"""
import json
import os
import subprocess
import sys

import pytest

from tinygrad_sgd.kernels.backend import numba_available

pytestmark = pytest.mark.skipif(not numba_available(), reason="numba not importable")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PROBE = r"""
import json, numba, numpy as np
{before}
import tinygrad_sgd.kernels.compiled as compiled
from numba.core import config
from numba.core.codegen import get_host_cpu_features
from tinygrad_sgd.kernels.compiled.elementwise import _add_rows
out = np.zeros((4, 64), np.float32)
_add_rows(out, np.ones(64, np.float32), 0, 4)      # a kernel of ours runs (compiled or cached)

@numba.njit(fastmath=compiled.FASTMATH)            # not cached: its machine code can be read
def axpy(y, x):
    for i in range(y.shape[0]):
        y[i] += 2 * x[i]

y = np.zeros(1000, np.float32)
axpy(y, np.ones(1000, np.float32))
asm = "".join(axpy.inspect_asm().values())
print(json.dumps({{"wide": compiled.WIDE_VECTORS, "features": config.CPU_FEATURES,
                  "avx512": "+avx512f" in get_host_cpu_features().split(","),
                  "zmm": "zmm" in asm, "sums": float(out.sum() + y.sum())}}))
"""


def _probe(before="", **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NUMBA_CPU_FEATURES", "NUMBA_CPU_NAME")}
    environment.update(env)
    code = _PROBE.format(before=before)
    done = subprocess.run([sys.executable, "-c", code], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_avx512_cpus_get_512_bit_vectors_and_others_are_left_alone():
    seen = _probe()
    assert seen["sums"] == 256.0 + 2000.0
    if seen["avx512"]:
        assert seen["wide"] is True
        assert seen["features"].endswith(",-prefer-256-bit")
        assert seen["zmm"]                       # a loop compiled after: 512-bit registers
    else:
        assert seen["wide"] is False and seen["features"] is None
        assert not seen["zmm"]


def test_a_programs_own_numba_cpu_choice_is_kept():
    seen = _probe(NUMBA_CPU_NAME="generic")     # (numba then takes no host features: "")
    assert seen["wide"] is False and not seen["features"]
    assert not seen["zmm"]                       # (generic x86-64: no AVX at all)
    features = "+avx2,+fma,+sse4.2"
    seen = _probe(NUMBA_CPU_FEATURES=features)
    assert seen["wide"] is False and seen["features"] == features   # as the program set it


def test_nothing_changes_once_numba_has_compiled_before_the_kernels():
    before = ("import numba\n"
              "numba.njit(lambda x: x + 1)(1)    # the program's own function, compiled first")
    seen = _probe(before=before)
    assert seen["wide"] is False and seen["features"] is None
