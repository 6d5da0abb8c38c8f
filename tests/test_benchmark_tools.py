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
    # a cache line's round trip between two cores: tens to thousands of ns on any machine
    # (one core shared by two spinning threads: each exchange waits for a time slice, slower)
    assert isinstance(ns, float) and 1.0 < ns < 5e6


def test_core_round_trip_without_numba_is_none(monkeypatch):
    monkeypatch.setattr(machine, "_PING_PONG", [None])
    assert machine.core_round_trip_ns() is None
