"""pytest configuration: the hypothesis settings profile shared by every property test.

The default profile keeps the suite fast (a few dozen examples per property, no per-example
deadline: the first call of an op can be slow) and derandomized: every run draws the same
examples, so CI on a clean clone is reproducible (random draws once turned up a different
rounding-level edge case on each run). Set ``TINYGRAD_HYPOTHESIS_PROFILE=thorough`` for a long
hunt with fresh random examples.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("fast", max_examples=30, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYGRAD_HYPOTHESIS_PROFILE", "fast"))


def pytest_configure(config):
    """torch, the oracle, on one thread: the tests' tensors are tiny, and on a busy 2-core
    machine torch's thread pool made each of its steps up to ~30x slower."""
    try:
        import torch
    except ImportError:       # torch is a test extra; tests that need it import it themselves
        return
    torch.set_num_threads(1)
