"""The ``tinygrad-sgd`` command (also ``python -m tinygrad_sgd``), and the command line of
every lesson.

    tinygrad-sgd mnist [--epochs 5 ...]        the PyTorch-tutorial CNN (the main job)
    tinygrad-sgd sgd [--epochs 100 ...]        "SGD with Python": sigmoid + least squares
    tinygrad-sgd logreg [...]                  logistic regression with BCE
    tinygrad-sgd perceptron [...]              the perceptron: hinge loss, separable vs XOR
    tinygrad-sgd xor [...]                     a two-layer MLP solves XOR
    tinygrad-sgd bigram | mlp | batchnorm | backprop | gpt [...]   character language models
    tinygrad-sgd sample --checkpoint out/gpt/ckpt.pt --num 10      text from a saved GPT
    tinygrad-sgd graph --model simple-cnn -o cnn.svg | --example neuron -o neuron.png
    tinygrad-sgd explain --example neuron [--frames DIR [--format png]]
    tinygrad-sgd explain --example neuron --html backprop.html     (step through it in a browser)
    tinygrad-sgd explain --model simple-cnn --html cnn.html        (one batch of MNIST digits)
    tinygrad-sgd run [--draw-graph DIR] script.py [args ...]   a PyTorch program, unchanged

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
    "bigram": ("tinygrad_sgd.tutorials.bigram",
               "the bigram character model: counts, samples, the one-hot network"),
    "mlp": ("tinygrad_sgd.tutorials.makemore_mlp",
            "Bengio et al.'s MLP language model on names (embeddings, lr decay)"),
    "batchnorm": ("tinygrad_sgd.tutorials.batchnorm",
                  "a deep MLP with and without BatchNorm: activation/gradient diagnostics"),
    "backprop": ("tinygrad_sgd.tutorials.backprop",
                 "the MLP's backward pass by hand, checked against autograd (--exercise)"),
    "gpt": ("tinygrad_sgd.tutorials.gpt",
            "a character-level GPT: AdamW, warm-up + cosine, checkpoints, attention"),
    "sample": ("tinygrad_sgd.tutorials.sample", "sample text from a saved GPT checkpoint"),
}
ALIASES = {"sgd-blobs": "sgd", "logistic-regression": "logreg", "xor-mlp": "xor",
           "mnist-cnn": "mnist", "makemore-mlp": "mlp"}

__all__ = ["LESSONS", "ALIASES", "build_parser", "lesson_main", "graph_command",
           "explain_command", "main"]


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
              "  explain     backpropagation step by step: --example NAME | --model simple-cnn,",
              "              as text, picture frames (--frames DIR) or a page (--html FILE)",
              "  run         run a PyTorch program unchanged on this library: run [--draw-graph",
              "              DIR] script.py [args ...]  (= python -m tinygrad_sgd.as_torch)"]
    return "\n".join(lines)


# ------------------------------------------------------------------ graph and explain
EXPLAIN_MODELS = ("simple-cnn",)


def _choose(kind, name, table):
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return table[name]


def graph_command(model=None, example=None, output="graph.svg", rankdir="auto"):
    """``tinygrad-sgd graph``: draw a model (``--model simple-cnn``, one forward pass) or a
    tutorial example (``--example neuron``, after backward, every value and gradient shown) and
    save it to ``output`` (.svg, .png, .pdf or .dot). Returns the line to print."""
    from .viz import EXAMPLES, MODELS, draw_model, explain_backward, save_graph
    if (model is None) == (example is None):
        raise ValueError("graph: give either a model or an example "
                         f"(models: {', '.join(MODELS)}; examples: {', '.join(EXAMPLES)})")
    if example is not None:
        build = _choose("example", example, EXAMPLES)
        loss, names = build()
        narration = explain_backward(loss, params=names)  # backward, recording every gradient
        doc = " ".join((build.__doc__ or "").strip().split("\n\n")[0].split())
        g = narration.draw(title=f"{example}, after backward: {doc}", rankdir=rankdir)
        what = f"example {example!r}, {len(narration.view.ops)} operations, after backward"
    else:
        net, x = _choose("model", model, MODELS)()
        g = draw_model(net, x, rankdir="TB" if rankdir == "auto" else rankdir)
        what = f"{type(net).__name__} on an input of shape {tuple(x.shape)}"
    save_graph(g, output)
    notes = "".join(f"\n  note: {n}" for n in getattr(g, "notes", []))
    return f"wrote {output} ({what}){notes}"


def explain_command(example=None, model=None, frames_dir=None, frame_format="svg", html=None,
                    batch_size=64):
    """``tinygrad-sgd explain``: backpropagate through a tutorial example (``--example
    neuron``) or the tutorial CNN on one batch of MNIST test digits (``--model simple-cnn``).
    Returns the narration (and writes one picture per step into ``frames_dir``), or — with
    ``html`` — writes the explorer page there and returns the line to print."""
    from .viz import EXAMPLES, explain_backward, explore
    from .viz.tutorial_graphs import simple_cnn_batch
    if example is not None and model is not None:
        raise ValueError("explain: give either a model or an example, not both")
    note = ""
    if model is not None:
        _choose("model", model, dict.fromkeys(EXPLAIN_MODELS))
        loss, names, note = simple_cnn_batch(batch_size)
        what = f"the tutorial CNN on {note}"
    else:
        example = example or "expression"
        loss, names = _choose("example", example, EXAMPLES)()
        what = f"example {example!r}"
    if html is not None:
        page = explore(loss, html, params=names, title=f"Backpropagation step by step: {what}")
        return (f"wrote {html} ({what}: {page.forward_steps} operations, "
                f"{len(page.steps)} steps; open it in a browser)")
    text = explain_backward(loss, params=names, frames=frames_dir is not None,
                            frames_dir=frames_dir or "backprop_frames", frame_format=frame_format)
    return (f"({what})\n" if note else "") + str(text)


def _graph(argv):
    from .viz import EXAMPLES, MODELS
    p = argparse.ArgumentParser(prog="tinygrad-sgd graph",
                                description="Draw a computation graph with graphviz.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", choices=sorted(MODELS))
    what.add_argument("--example", choices=sorted(EXAMPLES))
    p.add_argument("-o", "--output", required=True,
                   help="file to write: .svg, .png, .pdf or .dot")
    p.add_argument("--rankdir", choices=["auto", "LR", "TB"], default="auto",
                   help="layout direction: left to right, top to bottom, or auto (LR for "
                        "short chains, TB for long ones; a model is drawn TB)")
    args = p.parse_args(argv)
    print(graph_command(model=args.model, example=args.example, output=args.output,
                        rankdir=args.rankdir))


def _explain(argv):
    from .viz import EXAMPLES
    p = argparse.ArgumentParser(prog="tinygrad-sgd explain",
                                description="Backpropagate through a small example (or the "
                                            "tutorial CNN) and show every step.")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--example", choices=sorted(EXAMPLES),
                      help="a tutorial example (default: expression)")
    what.add_argument("--model", choices=EXPLAIN_MODELS,
                      help="the tutorial CNN on one batch of MNIST test digits")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--frames", default=None, metavar="DIR",
                     help="also write one graph picture per step into DIR")
    out.add_argument("--html", default=None, metavar="FILE",
                     help="write a page to step through forward and backward in a browser")
    p.add_argument("--format", choices=["svg", "png", "pdf"], default="svg",
                   help="the frames' format (with --frames)")
    p.add_argument("--batch-size", type=int, default=64,
                   help="images in the batch (with --model simple-cnn)")
    args = p.parse_args(argv)
    if args.batch_size < 1:
        p.error(f"--batch-size must be at least 1, got {args.batch_size}")
    print(explain_command(example=args.example, model=args.model, frames_dir=args.frames,
                          frame_format=args.format, html=args.html, batch_size=args.batch_size))


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
    elif command == "run":
        from . import as_torch
        return as_torch.main(rest, prog="tinygrad-sgd run")
    else:
        print(f"tinygrad-sgd: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
