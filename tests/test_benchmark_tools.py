"""The benchmarks' own measuring tools (benchmarks/ is not the library, but what it prints is
read as evidence)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import machine  # noqa: E402


def test_core_round_trip_is_a_time_between_two_threads():
    pytest.importorskip("numba")
    ns = machine.core_round_trip_ns(exchanges=500, quiet_s=0.0)
    # a cache line's round trip between two cores: tens to thousands of ns on a quiet machine;
    # with the cores busy (one core shared by two spinning threads), each exchange waits for
    # a time slice: 11.6 ms measured on 2 vCPUs with three other processes running
    assert isinstance(ns, float) and 1.0 < ns < 1e9


def test_core_round_trip_without_numba_is_none(monkeypatch):
    monkeypatch.setattr(machine, "_PING_PONG", [None])
    assert machine.core_round_trip_ns() is None


def test_the_round_trip_probe_leaves_the_kernels_their_wide_vectors():
    """numba fixes its CPU features for the whole process at its first compile: the probe,
    compiled before the library's kernels, used to leave them at 256-bit vectors on AVX-512
    CPUs (the two-thread rows measured slower kernels than the one-thread rows)."""
    pytest.importorskip("numba")
    import subprocess
    code = ("import machine; machine.core_round_trip_ns(exchanges=100, quiet_s=0.0)\n"
            "from numba.core.codegen import get_host_cpu_features\n"
            "from tinygrad_sgd.kernels.compiled import WIDE_VECTORS\n"
            "print(WIDE_VECTORS == ('+avx512f' in get_host_cpu_features().split(',')))")
    env = dict(__import__("os").environ, TINYGRAD_SGD_KERNELS="numba")
    env.pop("NUMBA_CPU_FEATURES", None), env.pop("NUMBA_CPU_NAME", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(Path(__file__).resolve().parents[1] / "benchmarks"), timeout=300)
    assert out.stdout.split()[-1:] == ["True"], out.stderr
