"""What every lesson's program shares: the row type of a lesson's table of flags, the flags
every lesson takes (``--seed``, ``--out``, ``--quiet``), the progress bar over the epochs, and
closing a saved figure.

A lesson declares its command line as data — a list of :class:`Flag` rows ending with
:func:`shared_flags` — and :func:`tinygrad_sgd.cli.lesson_main` turns that table into an
``argparse`` parser, checks the lower bounds, then calls the lesson's ``run(args)``. The
lessons keep their teaching (docstring, model, training loop) and their table; the
command-line machinery is in :mod:`tinygrad_sgd.cli`. Nothing here imports tqdm until a bar is
shown, nor matplotlib until a figure is closed.
"""
import os
from typing import NamedTuple


class Flag(NamedTuple):
    """One command-line flag of a lesson, one row of its table::

        Flag("--epochs", int, 100, "passes over the data (default 100)", at_least=1)

    ``type`` converts the text typed (``int``, ``float``, ``str``); ``bool`` makes a switch,
    off by default (``--quiet``). ``choices`` limits the values; ``at_least`` is the smallest
    value accepted (anything less is a usage error naming the flag, exit status 2);
    ``help`` is what ``--help`` prints beside the flag (None: nothing)."""

    name: str
    type: type
    default: object
    help: str | None
    choices: tuple | None = None
    at_least: int | None = None


def shared_flags(lesson, *, seed, seed_help=None, out_help=None, quiet_help=None):
    """The rows every lesson ends its table with, in this order: ``--seed`` (default
    ``seed``), ``--out`` (default ``out/<lesson>``) and ``--quiet``; the help texts are the
    lesson's own, since what a seed seeds and what lands in the folder differ."""
    return [Flag("--seed", int, seed, seed_help),
            Flag("--out", str, os.path.join("out", lesson), out_help),
            Flag("--quiet", bool, False, quiet_help)]


class EpochBar:
    """A tqdm progress bar with one step per epoch, its postfix showing the latest
    ``loss=…, acc=…``; with ``quiet`` there is no bar (and tqdm is not imported).

    The bar goes to stderr (tqdm's default), so what a lesson prints stays on stdout: print
    through :meth:`log` while the bar is open, so that a line does not break it::

        with EpochBar(args.epochs, "training", args.quiet) as bar:
            for epoch in range(1, args.epochs + 1):
                ...
                bar.update(loss, accuracy)
                bar.log(f"epoch {epoch}: loss {loss:.4f}")
    """

    def __init__(self, epochs, desc, quiet=False):
        self.bar = None
        if not quiet:
            from tqdm import tqdm
            self.bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=True,
                            dynamic_ncols=True)

    def update(self, loss, accuracy, epochs=1):
        """Advance by ``epochs`` and show ``loss`` and ``accuracy`` (a fraction) in the
        postfix; drawn at tqdm's own pace, not at every call."""
        if self.bar is not None:
            self.bar.set_postfix({"loss": f"{loss:.4f}", "acc": f"{accuracy:.3f}"},
                                 refresh=False)    # a dict keeps this order; kwargs are sorted
            self.bar.update(epochs)

    def log(self, line):
        """Print ``line`` to stdout: through ``tqdm.write`` (the bar is redrawn below it)
        while the bar is on, with ``print`` otherwise."""
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line)

    def close(self):
        """Draw the bar's final state and leave it on screen; closing twice is harmless."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def close(fig):
    """Free a figure that has been saved (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
