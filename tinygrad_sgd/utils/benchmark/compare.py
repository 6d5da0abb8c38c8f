"""``Compare``: many Measurements as tables, one per label, in torch's layout::

    [------------- label -------------]
                      |  desc 1  |  desc 2
    1 threads: -----------------------
          sub_label 1 |   12.3   |   45.6
          sub_label 2 |   ...

    Times are in microseconds (us).

Rows are (thread count, env, sub-label or statement); columns are descriptions; replicates
of one TaskSpec are merged first. ``trim_significant_figures()`` rounds each cell to the digits
its spread supports, ``colorize()`` marks the best cell of a column (or ``rowwise=True``, of a
row) in ANSI colours, ``highlight_warnings()`` adds ``(! XX%)`` where IQR / median is large.
Measurements without a description make torch's table fail (``TypeError``), and this one too.
"""
import collections
import enum

import numpy as np

from . import common

__all__ = ["Colorize", "Compare"]

BEST, GOOD = "\033[92m", "\033[34m"
BAD, VERY_BAD = "\033[2m\033[91m", "\033[31m"
BOLD, TERMINATE = "\033[1m", "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _leading_digits(value):
    return int(np.ceil(np.float32(common._log10_f32(value))))


class _Column:
    """One description's cells: a common number format for all of them."""

    def __init__(self, grouped_results, time_scale, trim, highlight_warnings):
        self._grouped_results = grouped_results
        flat = [r for group in grouped_results for r in group]
        self._trim = trim
        self._highlight = highlight_warnings and any(r.has_warnings for r in flat if r)
        digits = [(_leading_digits(r.median / time_scale), r) for r in flat if r]
        unit_digits = max(d for d, _ in digits)
        decimals = min(max(r.significant_figures - d, 0) for d, r in digits) if trim else 1
        width = unit_digits + decimals + (1 if decimals else 0)
        self._template = f"{{:>{width}.{decimals}f}}{{:>{7 if self._highlight else 0}}}"

    def get_results_for(self, group):
        return self._grouped_results[group]

    def num_to_str(self, value, estimated_sigfigs, spread):
        if value is None:                                   # an empty cell, as wide as a full
            return " " * len(self.num_to_str(1, estimated_sigfigs, None))
        if self._trim:
            value = common.trim_sigfig(value, estimated_sigfigs)
        note = f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None else ""
        return self._template.format(value, note)


class _Row:
    """One (threads, env, name) row of a table."""

    def __init__(self, results, row_group, render_env, env_str_len, time_scale, colorize,
                 num_threads=None):
        self._results, self._row_group = results, row_group
        self._render_env, self._env_str_len = render_env, env_str_len
        self._time_scale, self._colorize = time_scale, colorize
        self._num_threads = num_threads
        self._columns = ()

    def as_column_strings(self):
        first = next(r for r in self._results if r is not None)
        env = (f"({first.env})" if self._render_env else "").ljust(self._env_str_len + 4)
        cells = ["  " + env + first.as_row_name]
        for m, column in zip(self._results, self._columns):
            if m is None:
                cells.append(column.num_to_str(None, 1, None))
            else:
                cells.append(column.num_to_str(m.median / self._time_scale,
                                               m.significant_figures,
                                               m.iqr / m.median if m.has_warnings else None))
        return cells

    @staticmethod
    def color_segment(segment, value, best_value):
        if value <= best_value * 1.01 or value <= best_value + 100e-9:
            return BEST + BOLD + segment + TERMINATE * 2
        if value <= best_value * 1.1:
            return GOOD + BOLD + segment + TERMINATE * 2
        if value >= best_value * 5:
            return VERY_BAD + BOLD + segment + TERMINATE * 2
        if value >= best_value * 2:
            return BAD + segment + TERMINATE * 2
        return segment

    def row_separator(self, overall_width):
        if self._num_threads is None:
            return []
        return [f"{self._num_threads} threads: ".ljust(overall_width, "-")]

    def finalize_column_strings(self, column_strings, col_widths):
        if self._colorize == Colorize.ROWWISE:
            best = [min(r.median for r in self._results if r is not None)] * len(column_strings)
        elif self._colorize == Colorize.COLUMNWISE:
            best = [min((r.median for r in c.get_results_for(self._row_group) if r is not None),
                        default=None) for c in self._columns]
        else:
            best = [-1] * len(column_strings)
        contents = [column_strings[0].ljust(col_widths[0])]
        for text, width, result, best_value in zip(column_strings[1:], col_widths[1:],
                                                   self._results, best):
            text = text.center(width)
            if self._colorize != Colorize.NONE and result is not None and best_value is not None:
                text = self.color_segment(text, result.median, best_value)
            contents.append(text)
        return contents


class Table:
    """The table of one label's Measurements."""

    def __init__(self, results, colorize, trim_significant_figures, highlight_warnings):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results, self.label = results, results[0].label
        self._colorize, self._trim = colorize, trim_significant_figures
        self._highlight_warnings = highlight_warnings
        self.time_unit, self.time_scale = common.select_unit(min(r.median for r in results))
        self.row_keys = common.ordered_unique(self.row_fn(r) for r in results)
        self.row_keys.sort(key=lambda key: key[:2])           # (stable: statements keep order)
        self.column_keys = common.ordered_unique(self.col_fn(r) for r in results)
        self.rows, self.columns = self.populate_rows_and_columns()

    @staticmethod
    def row_fn(m):
        return m.num_threads, m.env, m.as_row_name

    @staticmethod
    def col_fn(m):
        return m.description

    def populate_rows_and_columns(self):
        grid = [[None] * len(self.column_keys) for _ in self.row_keys]
        row_at = {key: i for i, key in enumerate(self.row_keys)}
        col_at = {key: j for j, key in enumerate(self.column_keys)}
        for r in self.results:
            grid[row_at[self.row_fn(r)]][col_at[self.col_fn(r)]] = r
        envs = {r.env for r in self.results}
        render_env = len(envs) > 1
        env_str_len = max(len(e) for e in envs) if render_env else 0

        rows, groups = [], []            # groups: the rows of each thread count, in order
        prior_threads, prior_env = -1, ""
        for (threads, env, _), results in zip(self.row_keys, grid):
            new_group = threads != prior_threads
            if new_group:
                prior_threads, prior_env = threads, ""
                groups.append([])
            rows.append(_Row(results, len(groups) - 1, render_env and env != prior_env,
                             env_str_len, self.time_scale, self._colorize,
                             num_threads=threads if new_group else None))
            groups[-1].append(results)
            prior_env = env
        columns = tuple(_Column([tuple(row[j] for row in group) for group in groups],
                                self.time_scale, self._trim, self._highlight_warnings)
                        for j in range(len(self.column_keys)))
        for row in rows:
            row._columns = columns
        return tuple(rows), columns

    def render(self):
        string_rows = [[""] + self.column_keys] + [r.as_column_strings() for r in self.rows]
        num_cols = max(len(sr) for sr in string_rows)
        for sr in string_rows:
            sr.extend([""] * (num_cols - len(sr)))
        col_widths = [max(len(cell) for cell in column) for column in zip(*string_rows)]
        lines = ["  |  ".join(cell.center(w) for cell, w in zip(string_rows[0], col_widths))]
        overall_width = len(lines[0])
        for string_row, row in zip(string_rows[1:], self.rows):
            lines.extend(row.row_separator(overall_width))
            lines.append("  |  ".join(row.finalize_column_strings(string_row, col_widths)))
        warned = self._highlight_warnings and any(r.has_warnings for r in self.results)
        title = f" {self.label or ''} ".center(overall_width - 2, "-")
        return (f"[{title}]\n" + "\n".join(lines) + "\n\n"
                f"Times are in {common.unit_to_english(self.time_unit)}s ({self.time_unit}).\n"
                + ("(! XX%) Measurement has high variance, where XX is the IQR / median * "
                   "100.\n" if warned else ""))


class Compare:
    """``Compare(results)``: ``print(compare)`` or ``compare.print()`` shows the tables."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self):
        return "\n".join(self._render())

    def extend_results(self, results):
        """Add Measurements to those shown."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} "
                                 f"instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self):
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def _render(self):
        by_label = collections.defaultdict(list)
        for r in common.Measurement.merge(self._results):
            by_label[r.label].append(r)
        return [Table(group, self._colorize, self._trim_significant_figures,
                      self._highlight_warnings).render() for group in by_label.values()]
