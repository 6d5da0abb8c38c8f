"""The graph node of an op's result on the meta device (see :mod:`tinygrad_sgd.meta`)."""
import numpy as np

from ..autograd.function import Function, _class_or_node, leaf_edge
from ..autograd.grad_mode import is_grad_enabled
from ..meta import NO_DATA, is_meta, make

__all__ = ["MetaBackward"]


class MetaBackward(Function):
    """The node of a meta result. The op ran on plain views of the meta tensors'
    placeholders and recorded its own node there (``real``, see :meth:`link`); this node
    stands for it — its name, its label — and links the tensors that node's graph reaches.
    Its backward runs no formula, there being no values: each input gets a new meta tensor of
    its own shape and dtype (a broadcast input its own shape, a cast's input its own dtype). A
    CPU input requiring grad (a 0-d CPU tensor may join a meta op) gets none: refused, as
    torch refuses it, with ``Cannot copy out of meta tensor; no data!``."""
    rule = "z = op(x, ...) on meta tensors: shapes and dtypes, no values"
    derivatives = ("dz/dx = a meta tensor of x's shape and dtype",)
    _real_name = "MetaBackward"
    _real_label = "meta"
    _saves = False           # whether the real node saved arrays (backward twice: refused)

    @_class_or_node
    def name(cls, node=None) -> str:
        return cls._real_name if node is None else node._real_name

    def label(self) -> str:
        return self._real_label

    def backward(self, grad):
        if self._saves:                  # (as torch's: what the op saved was freed)
            self._check_not_released()
        grads = []
        for t_meta, shape, dtype in zip(self._meta_in, self.input_shapes, self._dtypes):
            if not t_meta:
                raise NotImplementedError(NO_DATA)
            grads.append(make(shape, dtype))
        if is_grad_enabled():     # create_graph: each gradient a result of the graph, as
            for g in grads:       # torch's — of the gradient given, and of the inputs the op
                self._link_gradient(g, grad)      # saved (its formula reads them)
        return tuple(grads)

    def _link_gradient(self, g, grad):
        """Make the meta gradient ``g`` a node's result under ``create_graph``: linked to
        ``grad`` if it requires grad, and to this node's inputs if the op saved arrays (so
        ``x * x``'s gradient requires grad, ``x + y``'s, from a seed of ones, does not). Not
        knowing which saved input each formula reads, it links them all: where no gradient
        reads one (``x * 2``, ``mean``) ours requires grad and torch's does not, and a second
        derivative torch finds unused (``x @ y.t()``'s for y) is a meta tensor here."""
        links = [(grad.grad_fn or leaf_edge(grad), tuple(grad.shape), grad.array.dtype, True)] \
            if grad.requires_grad else []
        if self._saves:
            links += [link for link in zip(self._edges, self.input_shapes, self._dtypes,
                                           self._meta_in) if link[0] is not None]
        links = [link for link in links if link[0] is not None]
        if not links or g.array.dtype.kind != "f":
            return
        node = MetaBackward()
        node.needs_input_grad = [True] * len(links)
        node._edges, node.input_shapes, node._dtypes, node._meta_in = \
            (tuple(column) for column in zip(*links))
        g._requires_grad = True
        g.grad_fn = node

    @classmethod
    def link(cls, out, real, originals, tensors):
        """Make the new meta tensor ``out`` the result of a node whose inputs are what
        ``real``'s graph ends at: a proxy of a meta argument (``originals``: ``id(proxy) ->
        (proxy, meta tensor)``) stands for that argument; a CPU tensor requiring grad among
        the arguments (``tensors``) is met as a leaf or by its grad_fn."""
        d = real.__dict__
        node = cls.of(out, _graph_inputs(real, originals, tensors), real.name(), real.label())
        node._saves = bool(d.get("_saved") or "_out_array" in d or "_packed" in d
                           or any(type(v) is np.ndarray for v in d.values()))
        node.sequence_nr = real.sequence_nr
        if d.get("modules"):
            node.modules = d["modules"]

    @classmethod
    def of(cls, out, inputs, name, label):
        """``out``'s node, named ``name``, linking the tensors ``inputs``; returned."""
        node = cls()
        node._real_name, node._real_label = name, label
        node.needs_input_grad = [True] * len(inputs)
        node._edges = tuple(t.grad_fn or leaf_edge(t) for t in inputs)
        node.input_shapes = [tuple(t.shape) for t in inputs]
        node._dtypes = [t.array.dtype for t in inputs]
        node._meta_in = [is_meta(t) for t in inputs]
        out.grad_fn = node
        return node


def _graph_inputs(real, originals, tensors):
    """The tensors ``real``'s graph ends at, in the order first met (iteratively): the meta
    arguments, for their proxies, and the CPU tensors requiring grad among ``tensors``."""
    outer = {t.grad_fn: t for t in tensors if t.grad_fn is not None}
    found, seen, stack = {}, {real}, [real]
    while stack:
        for e in stack.pop()._edges:
            if e is None:
                continue
            if isinstance(e, Function):
                if e in outer:
                    found.setdefault(id(e), outer[e])
                elif e not in seen:
                    seen.add(e)
                    stack.append(e)
            else:
                hit = originals.get(id(e))
                found.setdefault(id(e), hit[1] if hit is not None and hit[0] is e else e)
    return list(found.values())
