"""The ``tinygrad-sgd`` command (also ``python -m tinygrad_sgd``).

    tinygrad-sgd mnist [--epochs 5 ...]        the PyTorch-tutorial CNN (the main job)
    tinygrad-sgd sgd [--epochs 100 ...]        "SGD with Python": sigmoid + least squares
    tinygrad-sgd logreg [...]                  logistic regression with BCE
    tinygrad-sgd perceptron [...]              the perceptron: hinge loss, separable vs XOR
    tinygrad-sgd xor [...]                     a two-layer MLP solves XOR
    tinygrad-sgd graph --model simple-cnn -o cnn.svg | --example neuron -o neuron.png
    tinygrad-sgd explain --example neuron [--frames DIR]

Each lesson subcommand takes ``--help``.
"""
import argparse
import importlib
import sys

from .tutorials import ALIASES, LESSONS

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
