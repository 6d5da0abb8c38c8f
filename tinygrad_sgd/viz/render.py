"""Rendering a drawn graph with Graphviz's ``dot``, and what to do when it is missing.

``graphviz`` (the Python package) is imported on first use: the library itself does not need
it to be importable, and says how to install Graphviz when the ``dot`` program is not found.
"""
from __future__ import annotations

import functools
import os
import shutil

__all__ = ["GraphvizNotFound", "dot_available", "require_dot", "digraph_class", "save_graph",
           "plain_label"]

RENDER_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif")


class GraphvizNotFound(RuntimeError):
    """Rendering to an image needs Graphviz's ``dot`` program, which is not installed."""

    def __init__(self, what="render the graph"):
        super().__init__(
            f"To {what}, Graphviz's `dot` program is needed, and it was not found on PATH. "
            f"Install Graphviz — Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: "
            f"`brew install graphviz`; conda: `conda install -c conda-forge graphviz`; "
            f"Windows: https://graphviz.org/download/ — or save the graph as .dot "
            f"(no Graphviz needed) and render it later with `dot -Tsvg graph.dot -o graph.svg`.")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def require_dot(what):
    if not dot_available():
        raise GraphvizNotFound(what)


@functools.lru_cache(maxsize=None)
def digraph_class():
    """``graphviz.Digraph`` whose rendering says how to install Graphviz when ``dot`` is
    missing (imported on first use: the library does not need graphviz to be importable)."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("tinygrad_sgd.viz needs the `graphviz` Python package to draw graphs: "
                          "pip install graphviz (and Graphviz's `dot` program to render them)"
                          ) from None

    class Drawing(graphviz.Digraph):
        """A graphviz.Digraph that explains how to install Graphviz when rendering fails."""

        def render(self, *args, **kwargs):
            require_dot("render the graph")
            return super().render(*args, **kwargs)

        def pipe(self, *args, **kwargs):
            require_dot("render the graph")
            return super().pipe(*args, **kwargs)

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            if not dot_available():  # Jupyter: show the hint instead of a traceback
                return {"text/plain": str(GraphvizNotFound("display the graph"))}
            return super()._repr_mimebundle_(include, exclude, **kwargs)

    Drawing.__name__ = Drawing.__qualname__ = "Digraph"
    return Drawing


def save_graph(root, path, **draw_kwargs) -> str:
    """Draw ``root`` (a Tensor, or an already drawn Digraph) and write it to ``path``: the
    suffix picks the format — ``.svg``, ``.png``, ``.pdf`` (need Graphviz's ``dot``) or
    ``.dot``/``.gv`` (the DOT source; needs nothing). Returns the path written."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in RENDER_FORMATS + ("dot", "gv"):
        raise ValueError(f"save_graph: can't tell the format from {path!r}; use a name ending "
                         f"in .svg, .png, .pdf or .dot")
    if suffix not in ("dot", "gv"):
        require_dot(f"save {os.path.basename(path)!r} as {suffix.upper()}")
    if not hasattr(root, "source"):
        from .graph import draw_graph
        root = draw_graph(root, **draw_kwargs)
    g = root
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if suffix in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(g.source)
        return path
    data = g.pipe(format=suffix)
    with open(path, "wb") as f:
        f.write(data)
    return path


def plain_label(text) -> str:
    """A plain (non-HTML) DOT label: keep our \\n escapes, stop '<...>' being read as HTML."""
    import graphviz
    return graphviz.nohtml(text)
