"""Pictures of backpropagation.

* :func:`draw_graph` / :func:`draw_model` / :func:`save_graph` — the computation graph, drawn
  with Graphviz (``graph.py``);
* :func:`explain_backward` — backpropagation narrated step by step, as text and as picture
  frames (``explain.py``);
* the tutorial graphs in :data:`EXAMPLES` (``examples.py``);
* training plots — :func:`plot_loss`, :func:`plot_decision_boundary`, :func:`plot_image_grid`
  (``plots.py``, matplotlib, imported on first use).

:func:`graph_command` and :func:`explain_command` are what ``tinygrad-sgd graph`` and
``tinygrad-sgd explain`` run.
"""
from __future__ import annotations

from .graph import draw_graph, draw_model, save_graph, GraphvizNotFound, COLORS
from .explain import explain_backward, Narration
from .examples import EXAMPLES, MODELS

__all__ = ["draw_graph", "draw_model", "save_graph", "GraphvizNotFound", "COLORS",
           "explain_backward", "Narration", "EXAMPLES", "MODELS",
           "graph_command", "explain_command",
           "plot_loss", "plot_decision_boundary", "plot_image_grid"]

_PLOTS = ("plot_loss", "plot_decision_boundary", "plot_image_grid")


def __getattr__(name):
    if name in _PLOTS:
        from . import plots
        return getattr(plots, name)
    raise AttributeError(f"module 'tinygrad_sgd.viz' has no attribute {name!r}")


def _choose(kind, name, table):
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return table[name]


def graph_command(model=None, example=None, output="graph.svg"):
    """``tinygrad-sgd graph``: draw a model (``--model simple-cnn``, one forward pass) or a
    tutorial example (``--example neuron``, after backward, every value and gradient shown) and
    save it to ``output`` (.svg, .png, .pdf or .dot). Returns the line to print."""
    if (model is None) == (example is None):
        raise ValueError("graph: give either a model or an example "
                         f"(models: {', '.join(MODELS)}; examples: {', '.join(EXAMPLES)})")
    if example is not None:
        build = _choose("example", example, EXAMPLES)
        loss, names = build()
        narration = explain_backward(loss, params=names)  # backward, recording every gradient
        doc = " ".join((build.__doc__ or "").strip().split("\n\n")[0].split())
        g = narration.draw(title=f"{example}, after backward: {doc}")
        what = f"example {example!r}, {len(narration.view.ops)} operations, after backward"
    else:
        net, x = _choose("model", model, MODELS)()
        g = draw_model(net, x)
        what = f"{type(net).__name__} on an input of shape {tuple(x.shape)}"
    save_graph(g, output)
    notes = "".join(f"\n  note: {n}" for n in getattr(g, "notes", []))
    return f"wrote {output} ({what}){notes}"


def explain_command(example, frames_dir=None, frame_format="svg"):
    """``tinygrad-sgd explain --example neuron [--frames DIR]``: run backward on a tutorial
    example and return the narration; with ``frames_dir``, also write one picture per step."""
    loss, names = _choose("example", example, EXAMPLES)()
    if frames_dir is None:
        return str(explain_backward(loss, params=names))
    return str(explain_backward(loss, params=names, frames=True, frames_dir=frames_dir,
                                frame_format=frame_format))
