"""What a measurement is: :class:`TaskSpec` (what was timed) and :class:`Measurement` (the times),
as ``torch.utils.benchmark.utils.common`` has them, with torch's statistics and printed text.

A Measurement holds ``raw_times``, each the time of one block of ``number_per_run`` runs of the
statement; ``times`` are per run. ``median``, ``mean`` and the quartiles (``iqr``) are those of
the per-run times, the quartiles by linear interpolation as ``torch.quantile``'s. Where torch
computes a display figure in float32 (the unit of a time, the significant figures, trimming to
them), so does this module, so that a table shows the digits torch's would.
"""
import collections
import contextlib
import dataclasses
import textwrap

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9      # 25 ns
_IQR_WARN_THRESHOLD = 0.1             # IQR / median above these: a warning in the repr
_IQR_GROSS_WARN_THRESHOLD = 0.25


def _log10_f32(x):
    """log10 of ``x`` in float32, as ``torch.tensor(x).log10()`` gives it: ``x`` rounded to
    float32, its log10 rounded to float32 (NumPy's float32 log10 can be one ulp off, which
    moves 1e-6 s from microseconds to nanoseconds)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(np.float32(np.log10(np.float64(np.float32(x)))))


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer times (all but its globals): the statement, its setup, the labels."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self):
        """The label (or the one-line statement), with the sub-label after a colon."""
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return f"setup:\n{textwrap.indent(self.setup, '  ')}"
        return f"setup: {self.setup}"

    def __repr__(self):
        return _object_line(self)

    def summarize(self):
        """The title, description and setup lines of a printed Measurement (a multi-line
        section is followed by an empty line)."""
        sections = [s for s in (self.title, self.description or "", self.setup_str()) if s]
        return "\n".join(s + "\n" if "\n" in s else s for s in sections)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The times of one statement: ``number_per_run`` runs per entry of ``raw_times``.
    The TaskSpec's fields read through (``m.label``, ``m.num_threads``)."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict = None             # (the user's; never read here)

    def __post_init__(self):
        self._sorted_times = ()
        self._warnings = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name):
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    # ---- statistics of the per-run times ----
    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        self._lazy_init()
        return self._median

    @property
    def mean(self):
        self._lazy_init()
        return self._mean

    @property
    def iqr(self):
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self):
        """A rough count of the digits the measurement supports (1 to 4): from the spread of
        the middle half of the times, ``median / max(1.645 std / sqrt(n), 25 ns)``."""
        self._lazy_init()
        n = len(self._sorted_times)
        middle = np.asarray(self._sorted_times[n // 4:int(np.ceil(np.float32(3 * n / 4)))],
                            dtype=np.float32)
        std = float(middle.std())
        sqrt_n = float(np.sqrt(np.float32(len(middle))))
        interval = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        figures = int(np.floor(np.float32(_log10_f32(self._median / interval))))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self):
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self):
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        times = np.asarray(self._sorted_times, dtype=np.float64)
        self._median, self._p25, self._p75 = (float(np.quantile(times, q))
                                              for q in (0.5, 0.25, 0.75))
        self._mean = float(times.mean())
        for threshold, why in ((_IQR_GROSS_WARN_THRESHOLD,
                                "This suggests significant environmental influence."),
                               (_IQR_WARN_THRESHOLD, "This could indicate system fluctuation.")):
            if not self.meets_confidence(threshold):
                self._warnings += (f"  WARNING: Interquartile range is "
                                   f"{self.iqr / self.median * 100:.1f}% of the median "
                                   f"measurement.\n           {why}",)
                break

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    # ---- names ----
    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return self.task_spec.env      # (None when unset: what torch's property ends up giving)

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        """torch's layout::

            <torch.utils.benchmark.utils.common.Measurement object at 0x7f...>
            label: sub_label
            description
            setup: ...
              Median: 5.73 us
              IQR:    2.25 us (4.01 to 6.26)
              372 measurements, 100 runs per measurement, 1 thread
              WARNING: ...
        """
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        threads = self.num_threads
        lines = [_object_line(self), self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({self._p25 / scale:.2f} "
                         f"to {self._p75 / scale:.2f})")
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} "
                     f"thread{'s' if threads > 1 else ''}")
        lines.append("\n".join(self._warnings))
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements):
        """One Measurement per TaskSpec, its times all the replicates' per-run times
        (``number_per_run=1``; metadata dropped), in the order the TaskSpecs first come."""
        groups = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].extend(m.times)
        return [Measurement(number_per_run=1, raw_times=times, task_spec=spec, metadata=None)
                for spec, times in groups.items()]


def _object_line(obj):
    """``<module.Class object at 0x...>``, the module named as torch names it under the
    runner (``torch.utils.benchmark.utils.common``)."""
    from ...printing import OPTIONS
    module = ("torch.utils.benchmark.utils.common" if OPTIONS.namespace == "torch"
              else type(obj).__module__)
    return f"<{module}.{type(obj).__qualname__} object at {hex(id(obj))}>"


def select_unit(t):
    """The unit (``"ns"``, ``"us"``, ``"ms"``, ``"s"``) that shows time ``t`` (seconds) with
    one to three digits before the point, and its size in seconds."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(_log10_f32(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u):
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x, n):
    """``x`` rounded to ``n`` significant figures (3.14159, 2 -> 3.1), in float32 as torch."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = int(np.ceil(np.float32(_log10_f32(abs(np.float32(x))))))
    scale = 10 ** (magnitude - n)
    return float(np.round(np.float32(x / scale)) * np.float32(scale))


def ordered_unique(elements):
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n):
    """Run the block with ``n`` threads for the library's kernels, then put the count back."""
    from ...kernels.threads import get_num_threads, set_num_threads
    prior = get_num_threads()
    try:
        set_num_threads(n)
        yield
    finally:
        set_num_threads(prior)
