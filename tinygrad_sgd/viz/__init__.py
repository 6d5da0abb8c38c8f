"""Pictures of backpropagation.

* :func:`draw_graph` / :func:`draw_model` / :func:`save_graph` — the computation graph, drawn
  with Graphviz (``graph.py``; what the graph holds is read by ``view.py``, drawn by
  ``painter.py``, large graphs shrunk by ``collapse.py``, rendered by ``render.py``);
* :func:`explain_backward` — backpropagation narrated step by step, as text and as picture
  frames (``explain.py``);
* :func:`explore` — backpropagation you can step through: one self-contained HTML page (and
  inline in Jupyter), forward then backward, every value and gradient (``explorer.py``,
  ``page.py``);
* the tutorials' graphs in :data:`EXAMPLES` and :data:`MODELS` (``tutorial_graphs.py``);
* training plots — :func:`plot_loss`, :func:`plot_decision_boundary`, :func:`plot_image_grid`
  (``plots.py``, matplotlib, imported on first use).

``tinygrad-sgd graph`` and ``tinygrad-sgd explain`` (in :mod:`tinygrad_sgd.cli`) use them.
"""
from __future__ import annotations

from .graph import draw_graph, draw_model, COLORS
from .render import save_graph, GraphvizNotFound
from .explain import explain_backward, Narration
from .explorer import explore, Explorer
from .tutorial_graphs import EXAMPLES, MODELS

__all__ = ["draw_graph", "draw_model", "save_graph", "GraphvizNotFound", "COLORS",
           "explain_backward", "Narration", "explore", "Explorer", "EXAMPLES", "MODELS",
           "plot_loss", "plot_decision_boundary", "plot_image_grid"]

_PLOTS = ("plot_loss", "plot_decision_boundary", "plot_image_grid")


def __getattr__(name):
    if name in _PLOTS:
        from . import plots
        return getattr(plots, name)
    raise AttributeError(f"module 'tinygrad_sgd.viz' has no attribute {name!r}")
