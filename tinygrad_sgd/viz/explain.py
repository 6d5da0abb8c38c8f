"""Narrate backpropagation, one operation at a time.

:func:`explain_backward` runs the real backward pass (``autograd.run_backward``, the same engine
``loss.backward()`` uses, so the gradients are identical) with an *observer* that records, for
every operation, the gradient that arrived and the gradient it passed to each input. The result is
printable text::

    >>> from tinygrad_sgd.viz import explain_backward
    >>> from tinygrad_sgd.viz.tutorial_graphs import expression
    >>> L, names = expression()
    >>> print(explain_backward(L, params=names))        # doctest: +SKIP
    ...
    Step 1/3  L = mul(d, f)   [MulBackward]
        rule      z = x · y. dz/dx = y, dz/dy = x.   (here x = d, y = f)
        incoming  dL/dL = 1.0000   (scalar)
        → d       dL/dd = -2.0000   (scalar)
        → f       dL/df = 4.0000   (scalar)
                  f is a leaf: this is added into f.grad
    ...

and also a record: ``narration.steps``, ``narration.draw(step=k)`` (the graph as it stands after
step k, the active operation highlighted) and, with ``frames=True``, one picture per step written
to ``frames_dir``.
"""
from __future__ import annotations

import os
import textwrap

import numpy as np

from .. import autograd
from ..tensor import Tensor
from .formatting import format_array, format_shape, one_line
from .view import GraphView, input_names, rule_of

__all__ = ["explain_backward", "record_backward", "Narration", "Step"]


class Step:
    """One operation's backward: ``grad_in`` (the gradient of its output, summed over every use)
    and ``sent``, a list of ``(TensorInfo, gradient)`` for the inputs that get one."""

    def __init__(self, index, node, output, grad_in, sent):
        self.index, self.node, self.output = index, node, output
        self.grad_in, self.sent = grad_in, sent

    def __repr__(self):
        return f"<Step {self.index}: {self.node.label()}>"


class Narration(str):
    """The narration (a ``str``: print it) and the record of the backward pass it tells:
    ``steps``, ``seed``, ``frames`` (paths written), ``draw(step=None)``."""

    def __new__(cls, text, view, steps, contributions, root_key, names):
        self = super().__new__(cls, text)
        self.view, self.steps, self.frames = view, steps, []
        self.seed = contributions[root_key][0][1]
        self._contributions, self._root_key, self._names = contributions, root_key, names
        return self

    # ------------------------------------------------------------------ for drawing frames
    def draw(self, step=None, **kwargs):
        """The graph with values and gradients as they stand after ``step`` (0: before
        backward, only the seed; None: after the whole pass)."""
        from .graph import draw_graph
        kwargs.setdefault("show_values", True)
        kwargs.setdefault("show_grads", True)
        return draw_graph(self.view.roots, trace=self, step=step, **kwargs)

    def _step(self, step):
        return len(self.steps) if step is None else step

    def active_node(self, step):
        """The operation running at ``step`` (None before and after the whole pass)."""
        if step is None or not 1 <= step <= len(self.steps):
            return None
        return self.steps[step - 1].node

    def grad_at(self, key, step):
        """(gradient of tensor ``key`` summed over the contributions that arrived by ``step``,
        whether all of them have arrived, whether one arrived at this very step)."""
        active = self.active_node(step)
        step = self._step(step)
        parts = self._contributions.get(key, [])
        arrived = [g for s, g in parts if s <= step]
        if not arrived:
            return None, False, False
        total = arrived[0]
        for g in arrived[1:]:
            total = total + g
        fresh = active is not None and any(s == step for s, _ in parts)
        return total, len(arrived) == len(parts), fresh

    def frame_title(self, step):
        step = self._step(step)
        n = len(self.steps)
        root = self._names[self._root_key]
        if step == 0:
            return f"Before backward: the forward values, and the seed {_d(root, root)} = 1"
        if self.active_node(step) is None:
            return f"After backward: every gradient {_d(root, '·')} is known ({n} steps)"
        s = self.steps[step - 1]
        to = ", ".join(self._names[info.key] for info, _ in s.sent) or "nothing"
        return (f"Step {step}/{n}: {s.node.label()} receives "
                f"{_d(root, self._names[s.output.key])}"
                f" and sends gradients to {to}")


def explain_backward(loss, gradient=None, params=None, retain_graph=False, frames=False,
                     frames_dir="backprop_frames", frame_format="svg", max_elements=8,
                     max_steps=200):
    """Run ``loss.backward()`` and return its narration (a printable :class:`Narration`).

    For each operation, in the order backward visits them (each one after every operation that
    used its output): the incoming gradient, the local derivative rule (the op's ``rule`` and
    ``derivatives`` attributes) and the gradient passed to each input, with shapes and, for
    tensors of at most ``max_elements`` elements, values. ``params`` names tensors (a Module,
    or a dict ``name -> Tensor``, intermediate results included). With ``frames=True`` one
    picture per step (``frame_format`` 'svg', 'png' or 'pdf') is written to ``frames_dir``.
    Leaf gradients are accumulated into ``.grad`` exactly as ``loss.backward(gradient)`` does.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"explain_backward: expected a Tensor, got {type(loss).__name__}")
    if frames:
        from .render import require_dot
        if frame_format not in ("svg", "png", "pdf"):
            raise ValueError(f"explain_backward: frame_format must be 'svg', 'png' or 'pdf', "
                             f"got {frame_format!r}")
        require_dot(f"write {frame_format.upper()} frames")
    view, names, root_key, had_grad, steps, contributions = record_backward(
        loss, gradient, params, retain_graph, "explain_backward")
    text = _narrate(view, steps, contributions, names, root_key, had_grad, max_elements,
                    max_steps)
    paths = []
    if frames:
        paths = _frame_paths(frames_dir, min(len(steps), max_steps), frame_format)
        text += (f"\nWrote {len(paths)} frames to {frames_dir}/ ({os.path.basename(paths[0])}: "
                 f"before backward … {os.path.basename(paths[-1])}: after the last step).\n")
    narration = Narration(text, view, steps, contributions, root_key, names)
    if frames:
        _write_frames(narration, paths)
    return narration



def record_backward(loss, gradient=None, params=None, retain_graph=False, caller="explore"):
    """Run backward on ``loss`` with an observer. Returns ``(view, names, root_key, had_grad,
    steps, contributions)``: the :class:`GraphView` read before backward freed anything, a
    name for every tensor, the key of the output, the ``.grad`` leaves had before (a copy), one
    :class:`Step` per operation in the order the engine ran them, and for every tensor the
    gradients that reached it as ``[(step, array), ...]`` (step 0: the seed)."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"{caller}: expected a Tensor, got {type(loss).__name__}")
    (seed,) = autograd.make_grads([loss], [gradient])
    view = GraphView([loss], params)       # read values before backward frees them
    if view.backpropagated:
        raise RuntimeError(f"{caller}: backward() already ran through this graph and freed "
                           f"what it saved; {caller}() runs backward itself, so call it "
                           f"instead of loss.backward() (on a freshly computed loss)")
    names = _names(view)
    root_key = id(loss.grad_fn) if loss.grad_fn is not None else id(loss)
    had_grad = {info.key: info.tensor._grad.array.copy() for info in view.tensors.values()
                if info.producer is None and info.tensor is not None
                and info.tensor._grad is not None}

    steps, contributions = [], {root_key: [(0, seed.array.copy())]}

    def observer(node, grad_in, grads_out):
        index = len(steps) + 1
        sent = []
        for edge, g in zip(node._edges, grads_out):
            if edge is None or g is None:
                continue
            info = view.tensors[id(edge)]
            g = np.array(g.array, copy=True)
            contributions.setdefault(info.key, []).append((index, g))
            sent.append((info, g))
        steps.append(Step(index, node, view.output_of(node), np.array(grad_in.array, copy=True),
                          sent))

    if loss.grad_fn is not None:
        autograd.run_backward([loss], [seed], retain_graph, False, observer=observer)
    else:  # a leaf: its gradient is the seed itself
        autograd.run_backward([loss], [seed], retain_graph, False)
    return view, names, root_key, had_grad, steps, contributions


# ============================================================================ the text
def _names(view):
    """A name for every tensor: its given name, else L (the output), t1, t2, ... (results, in
    forward order), leaf1, ... (unnamed leaves), input1, ... or the value of a constant."""
    names, counters = {}, {"t": 0, "leaf": 0, "input": 0}
    used = {info.name for info in view.tensors.values() if info.name}
    for info in sorted(view.tensors.values(), key=lambda i: _order(view, i)):
        if info.name:
            names[info.key] = info.name
            continue
        if info.kind == "output":
            base = "L" if "L" not in used else "out"
            names[info.key] = base
            continue
        if info.missing:
            names[info.key] = "·"
            continue
        if info.kind == "input" and info.shape == () and info.value is not None:
            names[info.key] = format_array(info.value)
            continue
        prefix = {"intermediate": "t", "parameter": "leaf", "input": "input"}[info.kind]
        while True:
            counters[prefix] += 1
            name = f"{prefix}{counters[prefix]}"
            if name not in used:
                break
        names[info.key] = name
    return names


def _order(view, info):
    if info.producer is not None:
        return (1, view.position[id(info.producer)])
    first = min((view.position[id(op)] for op in info.consumers + info.saved_by), default=0)
    return (0, first)


def _d(of, wrt):
    """``dL/dx``; a name that is not a plain identifier gets brackets: ``do/d(x1*w1)``."""
    def wrap(name):
        return name if name.isidentifier() or name == "·" else f"({name})"
    return f"d{wrap(of)}/d{wrap(wrt)}"


def _shape_words(shape):
    return "scalar" if shape is not None and len(shape) == 0 else f"shape {format_shape(shape)}"


def _value(array, max_elements, shape=None):
    """``-2.0000   (scalar)``, ``[1.0000, 2.0000]   (shape (2,))``, or for a large tensor
    ``(shape (4, 4)) mean …  min …  max …``; just the shape when the value is unknown."""
    if array is None:
        return f"({_shape_words(shape)})"
    text = one_line(array, max_elements)
    if np.asarray(array).size > max_elements:
        return f"({_shape_words(np.shape(array))}) {text}"
    return f"{text}   ({_shape_words(np.shape(array))})"


def _narrate(view, steps, contributions, names, root_key, had_grad, max_elements, max_steps):
    root = names[root_key]
    lines = []
    root_info = view.tensors[root_key]
    n_leaves = sum(1 for i in view.tensors.values() if i.kind == "parameter")
    lines += [f"Backpropagation, step by step: {root} = {_value(root_info.value, max_elements)}",
              f"{len(view.ops)} operation{'s' * (len(view.ops) != 1)}, {n_leaves} leaf "
              f"tensor{'s' * (n_leaves != 1)} that need a gradient.",
              "",
              "Forward pass (how the output was computed):"]
    calls = [f"{names[view.output_of(op).key]} = {_call(view, op, names)}"
             for op in view.ops[:max_steps]]
    width = max(map(len, calls), default=0)
    for op, call in zip(view.ops, calls):
        out = view.output_of(op)
        lines.append(f"  {call.ljust(width)}   {_value(out.value, max_elements, out.shape)}")
    if len(view.ops) > max_steps:
        lines.append(f"  … {len(view.ops) - max_steps} more operations")
    if any("·" in call for call in calls):
        lines.append("  (· is an argument that needs no gradient and that the graph did not "
                     "keep, e.g. a constant)")

    lines += ["",
              f"Backward pass: start from {_d(root, root)} = "
              f"{_value(contributions[root_key][0][1], max_elements)}.",
              "Each operation runs after every operation that used its output, so its incoming "
              "gradient is complete;",
              "it applies its local derivative rule (chain rule) and sends a gradient to each "
              "input. Gradients",
              "reaching the same tensor are added up.", ""]
    for s in steps[:max_steps]:
        lines += _narrate_step(view, s, steps, contributions, names, root, max_elements)
    if len(steps) > max_steps:
        lines += [f"… {len(steps) - max_steps} more steps not narrated (max_steps="
                  f"{max_steps}); the gradients below include them.", ""]

    lines.append("Result: the gradients stored in .grad")
    leaves = [i for i in view.tensors.values() if i.kind == "parameter"]
    leaves.sort(key=lambda i: _order(view, i))
    for info in leaves:
        parts = contributions.get(info.key, [])
        if info.tensor is None or info.tensor._grad is None:
            lines.append(f"  {names[info.key]}.grad = None   (no gradient reached it)")
            continue
        note = []
        if len(parts) > 1:
            note.append(f"sum of {len(parts)} contributions, from steps "
                        + ", ".join(str(s) for s, _ in parts))
        if info.key in had_grad:
            note.append("added to the .grad it already had")
        lines.append(f"  {names[info.key]}.grad = {_value(info.tensor._grad.array, max_elements)}"
                     + (f"   [{'; '.join(note)}]" if note else ""))
    return "\n".join(lines) + "\n"


def _call(view, op, names):
    """``mul(d, f)``; a tensor argument that needs no gradient and was not saved is unknown to
    the graph: '·' (``sub(p, ·)``). Arguments past the op's ``inputs`` are options (``dim``),
    shown in its label where they matter, and dropped here when unknown."""
    infos = view.input_infos(op)
    n_inputs = len(type(op).inputs)
    args = [names[info.key] if info is not None else "·" for info in infos]
    while len(args) > n_inputs and args[-1] == "·":
        args.pop()
    return f"{op.label()}({', '.join(args)})"


def _narrate_step(view, s, steps, contributions, names, root, max_elements):
    out, node = s.output, s.node
    lines = [f"Step {s.index}/{len(steps)}  {names[out.key]} = {_call(view, node, names)}"
             f"   [{node.name()}]"]
    rule = rule_of(node)
    slots = input_names(node)
    if slots:
        given = [f"{var} = {names[info.key]}" for var, info in zip(slots, view.input_infos(node))
                 if info is not None]
        rule += f"   (here {', '.join(given)})"
    lines += textwrap.wrap(rule, width=96, initial_indent="    rule      ",
                           subsequent_indent=" " * 14)
    parts = contributions.get(out.key, [])
    incoming = f"    incoming  {_d(root, names[out.key])} = {_value(s.grad_in, max_elements)}"
    if len(parts) > 1:
        incoming += (f"   [sum of {len(parts)} gradients, from steps "
                     + ", ".join(str(i) if i else "seed" for i, _ in parts) + "]")
    lines.append(incoming)
    elementwise = type(node).elementwise
    for info, g in s.sent:
        name = names[info.key]
        column = name.ljust(8) if len(name) < 8 else name + "  "
        lines.append(f"    → {column}{_d(root, name)} = {_value(g, max_elements)}")
        notes = []
        if elementwise and out.shape is not None and info.shape is not None \
                and tuple(info.shape) != tuple(out.shape):
            notes.append(f"summed from {format_shape(out.shape)} to {format_shape(info.shape)} "
                         f"because {name} was broadcast")
        if info.kind == "parameter":
            notes.append(f"{name} is a leaf: this is added into {name}.grad")
        if notes:
            lines.append(" " * 14 + "; ".join(notes))
    if not s.sent:
        lines.append("    (no input needs a gradient)")
    lines.append("")
    return lines


# ============================================================================ frames
def _frame_paths(frames_dir, n_steps, fmt):
    digits = max(2, len(str(n_steps)))
    return [os.path.join(frames_dir, f"step_{step:0{digits}d}.{fmt}")
            for step in range(n_steps + 1)]


def _write_frames(narration, paths):
    """Frame k: the graph after step k (frame 0: before backward), the active op highlighted."""
    from .render import save_graph
    os.makedirs(os.path.dirname(paths[0]) or ".", exist_ok=True)
    for step, path in enumerate(paths):
        save_graph(narration.draw(step=step), path)
    narration.frames = paths
