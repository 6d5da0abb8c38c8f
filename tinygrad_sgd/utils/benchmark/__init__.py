"""``tinygrad_sgd.utils.benchmark`` — torch's ``torch.utils.benchmark``: :class:`Timer` (timeit
with a warm-up, thread count and labels), its :class:`Measurement` results (median, IQR,
torch's printed text) and :class:`Compare` (tables of many measurements).

Not here: the C++ timer (``language="cpp"``), Callgrind instruction counts
(``collect_callgrind``) and the fuzzers (``Fuzzer``, ``FuzzedTensor``, ...).
"""
from .common import (TaskSpec, Measurement, select_unit, unit_to_english, trim_sigfig,
                     ordered_unique, set_torch_threads)
from .timer import Timer, timer, Language   # (``timer``, the clock, hides the module, as torch's)
from .compare import Colorize, Compare

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads", "Timer", "timer", "Language", "Colorize",
           "Compare"]
