"""What every lesson's program shares: the ``--seed``/``--out``/``--quiet`` flags, the
``main()`` that checks the command line before training, and closing a saved figure.

The lessons keep their teaching (docstring, model, training loop) to themselves; only this
command-line plumbing lives here. Nothing here imports matplotlib until a figure is closed.
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


def close(fig):
    """Free a figure that has been saved (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
