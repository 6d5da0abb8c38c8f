"""The graph behind a Tensor, read once for drawing, narrating and exploring.

:class:`GraphView` walks the graph (iteratively) and gives every operation its inputs and its
output, and every tensor a :class:`TensorInfo`: kind, name, shape, dtype and — where the graph
still holds them — values. What an operation *is* comes from its class attributes (``inputs``,
``rule``, ``derivatives``, ``elementwise``, ``converts_dtype``, ``op_name``/``label()``), never
from its docstring, module or class name.

What the graph keeps: every operation and its inputs that need a gradient. An input needing no
gradient (data, a target, a Python constant) is known only while an operation keeps it for
backward; after ``backward()`` frees the saved arrays it is gone. An elementwise operation's
input that is not known is drawn as a *missing* input (``TensorInfo.missing``): the picture
still shows that ``p - y`` has two inputs, even when ``y`` itself was not kept.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

__all__ = ["TensorInfo", "GraphView", "rule_of", "derivative_rule", "input_names"]


class TensorInfo:
    """One tensor of the picture: a leaf, an input an operation saved, or an operation's
    output. ``missing`` marks an elementwise operation's input the graph did not keep."""

    def __init__(self, key, kind, producer=None, tensor=None):
        self.key = key                # id() of the leaf Tensor, or of the producing node
        self.kind = kind              # 'parameter' | 'input' | 'intermediate' | 'output'
        self.producer = producer      # the Function whose output this is (None for leaves)
        self.tensor = tensor          # a Tensor object holding it, when one is known
        self.name = None
        self.shape = None
        self.dtype = None
        self.value = None             # ndarray, when known
        self.saved_by = []            # operations that keep it for backward
        self.consumers = []           # operations that take it as input
        self.missing = False          # an input the graph did not keep (see the module doc)

    @property
    def grad(self):
        """The gradient stored in a Tensor holding this value (leaf .grad, or retain_grad)."""
        t = self.tensor
        return None if t is None or t._grad is None else t._grad.array


class GraphView:
    """Everything drawing and narration need to know about the graph behind ``roots``:
    operations in the order the forward pass created them (their ``sequence_nr``, numbered by
    the engine as each node is made), and a :class:`TensorInfo` for every tensor, with names
    from ``params``.

    The walk is iterative, so a chain of 100,000 operations is fine.
    """

    def __init__(self, roots, params=None):
        self.roots = list(roots)
        root_nodes = [r.grad_fn for r in self.roots if r.grad_fn is not None]
        self.ops = creation_sorted(_forward_order(root_nodes))
        self.position = {id(op): i for i, op in enumerate(self.ops)}
        self.tensors = {}             # key -> TensorInfo
        self.inputs = {}              # id(op) -> [key or None per input slot]
        self.out_saved = set()        # id(op) of operations that keep their own output
        self.module_names = {}        # id(module) -> dotted name ('' for a model itself)
        # backward freed the saved arrays (so what was saved, and the gradients, are of it)
        self.backpropagated = any(r.grad_fn.__dict__.get("_released") for r in self.roots
                                  if r.grad_fn is not None)

        for op in self.ops:
            out = self._add(id(op), "intermediate", producer=op)
            keys = []
            for edge in op._edges:
                if isinstance(edge, Function):
                    keys.append(id(edge))
                elif edge is not None:  # a leaf Tensor that requires grad
                    keys.append(self._add(id(edge), "parameter", tensor=edge).key)
                else:
                    keys.append(None)
            self.inputs[id(op)] = keys
            if _keeps(op, "_out_array") is not None:
                out.value = op._out_array
                self.out_saved.add(id(op))
                out.saved_by.append(op)
        for op in self.ops:
            self._read_saved(op)
            self._mark_missing(op)
            for key in self.inputs[id(op)]:
                if key is not None:
                    self.tensors[key].consumers.append(op)
        for r in self.roots:
            info = self.tensors.get(id(r.grad_fn)) if r.grad_fn is not None else None
            if info is None:  # a lone tensor: nothing was computed from it
                info = self._add(id(r), "parameter" if r.requires_grad else "input", tensor=r)
            else:
                info.kind, info.tensor = "output", r
            info.value = r.array
        self._name_tensors(params)
        self._infer_shapes()

    # --------------------------------------------------------------------- building
    def _add(self, key, kind, producer=None, tensor=None):
        info = self.tensors.get(key)
        if info is None:
            info = self.tensors[key] = TensorInfo(key, kind, producer, tensor)
            if tensor is not None:
                info.value = tensor.array
        return info

    def _read_saved(self, op):
        """What ``op`` kept for backward: values of intermediates, and inputs needing no grad
        (each in its own input slot when the node remembers which it was)."""
        slots = self.inputs[id(op)]
        for i, t in op.kept_inputs().items():
            info = self._add(id(t), "input", tensor=t)
            if i < len(slots) and slots[i] is None and info.key not in slots:
                slots[i] = info.key
        for t in _keeps(op, "_saved") or ():
            if not isinstance(t, Tensor):
                continue
            if t.grad_fn is not None and id(t.grad_fn) in self.tensors:
                info = self.tensors[id(t.grad_fn)]
                info.value = t.array if info.value is None else info.value
                info.tensor = t if info.tensor is None else info.tensor
            else:
                info = self._add(id(t), "input", tensor=t)  # no grad: data, targets, constants
            slots = self.inputs[id(op)]
            if info.kind == "input" and info.key not in slots:  # give it a free input slot
                free = [i for i, k in enumerate(slots) if k is None]
                if free:
                    slots[free[0]] = info.key
                else:
                    slots.append(info.key)
            if op not in info.saved_by:
                info.saved_by.append(op)

    def _mark_missing(self, op):
        """An elementwise operation takes only tensors (numbers become constant tensors), so
        an empty slot among its ``inputs`` that its ``forward`` requires (no default: not an
        optional bound, as clamp's) is an input the graph did not keep."""
        cls = type(op)
        if not cls.elementwise:
            return
        slots = self.inputs[id(op)]
        for i in range(min(len(cls.inputs), len(slots), _required_arguments(cls))):
            if slots[i] is None:
                info = self._add(("missing", id(op), i), "input")
                info.missing = True
                slots[i] = info.key

    def _name_tensors(self, params):
        named = list(_named_items(params))
        names_seen = set()
        # a Module (or the model an operation ran in) names parameters and clusters
        models = [params] if hasattr(params, "named_modules") else []
        for op in self.ops:
            mods = op.__dict__.get("modules")
            if mods and all(mods[0] is not m for m in models):
                models.append(mods[0])
        for model in models:
            for name, module in model.named_modules():
                self.module_names.setdefault(id(module), name)
            if model is not params and hasattr(model, "named_parameters"):
                named.extend(model.named_parameters())
        for name, t in named:
            if not isinstance(t, Tensor) or name in names_seen:
                continue
            info = self.tensors.get(id(t.grad_fn)) if t.grad_fn is not None else None
            info = info or self.tensors.get(id(t))
            if info is not None and info.name is None:
                names_seen.add(name)
                info.name = str(name)
                info.tensor, info.value = t, t.array

    def _infer_shapes(self):
        for info in self.tensors.values():
            if info.value is not None:
                info.shape, info.dtype = tuple(info.value.shape), info.value.dtype
        for op in self.ops:  # each consumer knows the shape of what it was given
            for key, shape in zip(self.inputs[id(op)], op.input_shapes):
                if key is not None and shape is not None and self.tensors[key].shape is None:
                    self.tensors[key].shape = tuple(shape)
        for op in self.ops:  # dtypes: inputs' promoted dtype, unless the op converts
            info = self.tensors[id(op)]
            if info.dtype is None and not type(op).converts_dtype:
                known = [self.tensors[k].dtype for k in self.inputs[id(op)]
                         if k is not None and self.tensors[k].dtype is not None]
                info.dtype = np.result_type(*known) if known else None

    # --------------------------------------------------------------------- queries
    def output_of(self, op):
        return self.tensors[id(op)]

    def input_infos(self, op):
        return [None if k is None else self.tensors[k] for k in self.inputs[id(op)]]

    def uses(self, op):
        """How many edges lead out of ``op``'s output (plus one per root it is)."""
        return len(self.tensors[id(op)].consumers) + sum(
            r.grad_fn is op for r in self.roots)

    def creation_order(self):
        """Every tensor of the graph, numbered in creation order: the operations in the order
        the engine created them (``sequence_nr``), each preceded by those of its inputs that
        no earlier operation used (leaves, data, constants: numbered where they are first
        used, in argument order). An operation's number is also its output's. Returns
        ``{key: number}``."""
        order = {}
        for op in self.ops:
            for key in self.inputs[id(op)]:
                if key is not None and key not in order:
                    order[key] = len(order)
            order[id(op)] = len(order)
        for r in self.roots:
            key = id(r.grad_fn) if r.grad_fn is not None else id(r)
            order.setdefault(key, len(order))
        return order


@functools.lru_cache(maxsize=None)
def _required_arguments(cls):
    """How many leading arguments of ``cls.forward`` (after self) have no default."""
    count = 0
    for param in list(inspect.signature(cls.forward).parameters.values())[1:]:
        if param.default is not param.empty or param.kind not in (
                param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            break
        count += 1
    return count


def _keeps(op, attr):
    """What ``op`` still keeps for backward under ``attr`` (nothing once backward released it).
    Read from ``__dict__``: on a released node a missing attribute raises, by design."""
    d = op.__dict__
    return None if d.get("_released") else d.get(attr)


def creation_sorted(ops):
    """``ops`` in the order the engine created them (``sequence_nr``, a topological order:
    a node is made after the nodes of its inputs). A node without a number (made by hand,
    not by ``apply``) leaves the walk's order as it is."""
    if any(op.sequence_nr is None for op in ops):
        return ops
    return sorted(ops, key=lambda op: op.sequence_nr)


def _forward_order(root_nodes):
    """Post-order depth-first walk (iterative), arguments left to right: every node after all
    the nodes it uses."""
    order, seen = [], set()
    for root in root_nodes:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root._edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if isinstance(edge, Function) and id(edge) not in seen:
                    seen.add(id(edge))
                    stack.append((edge, iter(edge._edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _named_items(params):
    """(name, tensor) pairs from a Module, a dict, or an iterable of pairs."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if isinstance(params, dict):
        return list(params.items())
    return list(params)


def rule_of(op) -> str:
    """The op's forward formula and its derivatives on one line (its ``rule`` and
    ``derivatives`` attributes)."""
    cls = type(op)
    derivatives = ", ".join(d for d in cls.derivatives if d)
    return f"{cls.rule}. {derivatives}." if derivatives else f"{cls.rule}."


def derivative_rule(op, width=42) -> list:
    """The op's derivatives (its ``derivatives`` attribute), wrapped to ``width``, one or more
    lines per input (``dz/dx = y``, ``dz/dy = x``)."""
    lines = []
    for part in type(op).derivatives:
        line = ""
        for word in part.split(" ") if part else ():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            lines.append(line)
    return lines


def input_names(op):
    """The names the op's rule gives its two inputs (``x``, ``y`` for sub, div; ``X``, ``Y``
    for matmul): the picture labels the edges, since for these the order matters. Else None."""
    names = type(op).inputs
    if len(op._edges) != 2 or len(names) != 2:
        return None
    return tuple(names)
