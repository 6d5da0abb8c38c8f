"""The ``tinygrad-sgd`` command (also ``python -m tinygrad_sgd``), and the command line of
every lesson.

    tinygrad-sgd mnist [--epochs 5 ...]        the PyTorch-tutorial CNN (the main job)
    tinygrad-sgd sgd [--epochs 100 ...]        "SGD with Python": sigmoid + least squares
    tinygrad-sgd logreg [...]                  logistic regression with BCE
    tinygrad-sgd perceptron [...]              the perceptron: hinge loss, separable vs XOR
    tinygrad-sgd xor [...]                     a two-layer MLP solves XOR
    tinygrad-sgd graph --model simple-cnn -o cnn.svg | --example neuron -o neuron.png
    tinygrad-sgd explain --example neuron [--frames DIR]

Each lesson subcommand takes ``--help``. A lesson declares its flags as a table of
:class:`~tinygrad_sgd.tutorials._common.Flag` rows; :func:`lesson_main` builds the parser
from that table (:func:`build_parser`), checks each row's lower bound and runs the lesson.
``LESSONS`` maps each subcommand to its module, which is imported only when it is run (the
lessons pull in matplotlib when they plot)::

    importlib.import_module(LESSONS["xor"][0]).main(["--hidden", "8"], prog="tinygrad-sgd xor")
"""
import argparse
import importlib
import sys

LESSONS = {
    "mnist": ("tinygrad_sgd.tutorials.mnist_cnn",
              "train the PyTorch-tutorial CNN on MNIST (or Fashion-MNIST)"),
    "sgd": ("tinygrad_sgd.tutorials.sgd_blobs",
            "SGD with Python: one sigmoid unit on two blobs, mini-batches"),
    "logreg": ("tinygrad_sgd.tutorials.logistic_regression",
               "logistic regression with BCE and SGD, 10,000 epochs"),
    "perceptron": ("tinygrad_sgd.tutorials.perceptron",
                   "the perceptron: separates a separable set, fails on XOR"),
    "xor": ("tinygrad_sgd.tutorials.xor_mlp", "a two-layer MLP solves XOR"),
}
ALIASES = {"sgd-blobs": "sgd", "logistic-regression": "logreg", "xor-mlp": "xor",
           "mnist-cnn": "mnist"}

__all__ = ["LESSONS", "ALIASES", "build_parser", "lesson_main", "main"]


def build_parser(prog, description, flags):
    """An ``argparse`` parser with one option per :class:`Flag` row of ``flags``, in the
    table's order; ``prog`` names the usage line (None: the script's name)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    for flag in flags:
        if flag.type is bool:
            parser.add_argument(flag.name, action="store_true", help=flag.help)
        else:
            parser.add_argument(flag.name, type=flag.type, default=flag.default,
                                choices=flag.choices, help=flag.help)
    return parser


def lesson_main(run, description, flags, argv=None, prog=None):
    """A lesson's command-line entry: parse ``argv`` (default ``sys.argv[1:]``) with the
    parser built from ``flags``, check every row's ``at_least`` (a usage error, exit status 2,
    names the flag: ``--epochs must be at least 1, got 0``), then return ``run(args)``."""
    parser = build_parser(prog, description, flags)
    args = parser.parse_args(argv)
    for flag in flags:
        value = getattr(args, flag.name.lstrip("-").replace("-", "_"))
        if flag.at_least is not None and value < flag.at_least:
            parser.error(f"{flag.name} must be at least {flag.at_least}, got {value}")
    return run(args)


def _usage():
    lines = ["usage: tinygrad-sgd COMMAND [options]   (tinygrad-sgd COMMAND --help for more)",
             "", "commands:"]
    lines += [f"  {name:<11} {help_}" for name, (_, help_) in LESSONS.items()]
    lines += [f"  ({', '.join(f'{a} = {c}' for a, c in ALIASES.items())})"]
    lines += ["  graph       draw a computation graph (graphviz): --model simple-cnn | --example",
              "  explain     narrate backpropagation step by step: --example NAME"]
    return "\n".join(lines)


def _graph(argv):
    from .viz import graph_command
    from .viz.examples import EXAMPLES
    p = argparse.ArgumentParser(prog="tinygrad-sgd graph",
                                description="Draw a computation graph with graphviz.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", choices=["simple-cnn", "mlp"])
    what.add_argument("--example", choices=sorted(EXAMPLES))
    p.add_argument("-o", "--output", required=True,
                   help="file to write: .svg, .png, .pdf or .dot")
    args = p.parse_args(argv)
    print(graph_command(model=args.model, example=args.example, output=args.output))


def _explain(argv):
    from .viz import explain_command
    from .viz.examples import EXAMPLES
    p = argparse.ArgumentParser(prog="tinygrad-sgd explain",
                                description="Backpropagate through a small example and narrate "
                                            "every step.")
    p.add_argument("--example", choices=sorted(EXAMPLES), default="expression")
    p.add_argument("--frames", default=None, metavar="DIR",
                   help="also write one graph picture per step into DIR")
    args = p.parse_args(argv)
    print(explain_command(args.example, frames_dir=args.frames))


def main(argv=None):
    """Run ``tinygrad-sgd`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    command, rest = ALIASES.get(argv[0], argv[0]), argv[1:]
    if command in LESSONS:
        importlib.import_module(LESSONS[command][0]).main(rest, prog=f"tinygrad-sgd {command}")
    elif command == "graph":
        _graph(rest)
    elif command == "explain":
        _explain(rest)
    else:
        print(f"tinygrad-sgd: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
