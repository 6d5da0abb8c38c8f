"""``Timer``: Python's ``timeit.Timer`` with torch's extras — a warm-up, a thread count, labels,
and results as :class:`~.common.Measurement` — as ``torch.utils.benchmark.Timer``.

* ``timeit(number)`` runs ``setup`` and then ``stmt`` ``max(number // 100, 2)`` times (the
  warm-up), then ``setup`` again and ``stmt`` ``number`` times, timed: one measurement.
* ``blocked_autorange(min_run_time=0.2)`` picks a block size (the first power of ten whose
  block takes ≥ min_run_time / 1000 and dwarfs the timer's own overhead, or takes more than
  min_run_time), then times blocks until their total reaches ``min_run_time``.
* ``adaptive_autorange(threshold=0.1)`` does the same with blocks sized for 0.05 s, and stops
  once it has more than three blocks, ``min_run_time`` in all and IQR / median below
  ``threshold`` — or ``max_run_time`` in all.

Only Python statements can be timed (torch's ``language="cpp"`` compiles C++; not here), and
there is no device to synchronise, so the default ``timer`` is ``timeit.default_timer``. The
statement sees ``torch`` (the library, or the runner's torch module) unless ``globals`` names
it otherwise.
"""
import enum
import sys
import textwrap
import timeit

from . import common

__all__ = ["Timer", "timer", "Language"]


def timer():
    """The clock a Timer reads: ``timeit.default_timer`` (no accelerator to wait for)."""
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _torch_module():
    """What ``torch`` is to a program: the runner's module when it runs one, else the
    library."""
    from ..._torch_shim import ShimModule
    shim = sys.modules.get("torch")
    if isinstance(shim, ShimModule):
        return shim
    import tinygrad_sgd
    return tinygrad_sgd


def _clean(code):
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()


class Timer:
    """``Timer(stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
    label=None, sub_label=None, description=None, env=None, num_threads=1,
    language=Language.PYTHON)`` (see the module notes)."""

    _timer_cls = timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._globals = dict(globals or {})
        if language in (Language.PYTHON, "py", "python"):
            self._globals.setdefault("torch", _torch_module())
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                                 f"this code can simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("Timer(language='cpp') is not provided by tinygrad_sgd "
                                      "(it times Python statements only)")
        else:
            raise ValueError(f"Invalid language `{language}`.")
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer,
                                      globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                          label=label, sub_label=sub_label,
                                          description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number):
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """As ``timeit.Timer.timeit``: ``stmt`` run ``number`` times (after a warm-up of
        ``max(number // 100, 2)`` runs), as one Measurement."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(number_per_run=number,
                                      raw_times=[self._timeit(number=number)],
                                      task_spec=self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measurement_loop(self, number, stop, min_run_time, max_run_time=None, callback=None):
        """Time blocks of ``number`` runs until ``min_run_time`` has passed and ``stop(times)``
        agrees (or ``max_run_time`` has passed)."""
        total, can_stop, times = 0.0, False, []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time):
        """The runs per block: powers of ten until the timer's overhead is ≤ 1e-4 of a block
        that takes ≥ min_run_time / 1000, or a block takes more than min_run_time."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of a fitting size, timed until they add up to ``min_run_time`` seconds."""
        number = self._estimate_block_size(min_run_time)
        times = self._measurement_loop(number, lambda times: True, min_run_time,
                                       callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Blocks until their spread is small (IQR / median < ``threshold``, after more than
        three blocks and ``min_run_time`` seconds) or ``max_run_time`` seconds have passed."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            return len(times) > 3 and common.Measurement(
                number_per_run=number, raw_times=times,
                task_spec=self._task_spec).meets_confidence(threshold=threshold)

        times = self._measurement_loop(number, stop, min_run_time, max_run_time,
                                       callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)
