"""What every lesson's program shares: the ``--seed``/``--out``/``--quiet`` flags, the
``main()`` that checks the command line before training, the progress bar over the epochs,
and closing a saved figure.

The lessons keep their teaching (docstring, model, training loop) to themselves; only this
command-line plumbing lives here. Nothing here imports tqdm until a bar is shown, nor
matplotlib until a figure is closed.
"""
import os


def add_common_flags(parser, lesson, *, seed, seed_help=None, out_help=None, quiet_help=None):
    """Add the flags every lesson takes, in this order: ``--seed`` (default ``seed``),
    ``--out`` (default ``out/<lesson>``) and ``--quiet``; the help texts are the lesson's."""
    parser.add_argument("--seed", type=int, default=seed, help=seed_help)
    parser.add_argument("--out", default=os.path.join("out", lesson), help=out_help)
    parser.add_argument("--quiet", action="store_true", help=quiet_help)
    return parser


def lesson_main(build_parser, run, argv=None, prog=None, minimums=None):
    """A lesson's command-line entry: parse ``argv`` (default ``sys.argv[1:]``) with
    ``build_parser()`` (``build_parser(prog)`` when ``prog`` is given, to name the usage
    line), check each ``{dest: least}`` in ``minimums`` (a usage error, exit status 2, names
    the flag: ``--epochs must be at least 1, got 0``), then return ``run(args)``."""
    parser = build_parser() if prog is None else build_parser(prog)
    args = parser.parse_args(argv)
    for name, least in (minimums or {}).items():
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}, "
                         f"got {getattr(args, name)}")
    return run(args)


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
