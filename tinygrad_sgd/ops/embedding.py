"""Embedding: a lookup of rows, and its adjoint, the sum of gradient rows per id."""
import numpy as np

from ..autograd import Function
from ..kernels.embedding import rows_by_id
from .elementwise import keep_where
from .index_arrays import check_index, index_versions


class EmbeddingOp(Function):
    """``ids`` (an integer array of any shape) picks rows of W; an id used several times
    collects the sum of its rows' gradients; the ``padding_idx`` row gets none (as torch).
    ``scale_grad_by_freq``: each position's gradient is divided by how often its id occurs in
    ``ids`` (torch's option; then the "gradient" is no longer the derivative). ``sparse``
    changes nothing but torch's refusal of the two together, at backward as torch."""
    inputs, rule = ("W",), "z[..., :] = W[ids[...], :]"
    derivatives = ("dL/dW[k] = Σ of dL/dz over the positions where ids = k, ÷ count(k) with "
                   "scale_grad_by_freq (0 for k = padding_idx)",)
    grad_fn_name, op_name, linear = "EmbeddingBackward", "embedding", True

    def forward(self, weight, ids, padding_idx=None, scale_grad_by_freq=False, sparse=False,
                ids_tensor=None):
        if ids_tensor is not None:    # the user's ids, where ``ids`` is made from them
            self.keep_array("ids_tensor", ids_tensor)
        self.ids, self.rows, self.padding_idx = ids, weight.shape[0], padding_idx
        self.scale, self.sparse = None, sparse
        self.ids_versions = index_versions(ids)     # (an edit of the ids refused, as torch)
        if scale_grad_by_freq:
            counts = np.bincount(ids.reshape(-1), minlength=self.rows)
            self.scale = (1.0 / counts[ids]).astype(weight.dtype)
        return np.take(weight.array, ids, axis=0)

    def backward(self, g):
        check_index(self, self.ids, self.ids_versions)
        if "ids_tensor" in self.__dict__:
            self.kept_array("ids_tensor")
        if self.sparse and self.scale is not None:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with "
                               "sparse gradients")
        return EmbeddingGrad.apply(g, self.ids, self.rows, self.padding_idx, self.scale)


class EmbeddingGrad(Function):
    """The embedding's backward as one node (torch's embedding_dense_backward); its own
    backward gathers rows again. ``scale`` (or None): a constant per position, 1/count of its
    id for ``scale_grad_by_freq``; the backward multiplies by it too, since G is linear in g
    (torch's embedding_dense_double_backward leaves it out, so its second order differs by
    that factor: its own gradcheck of this node fails)."""
    inputs, rule = ("g",), ("G[k] = Σ over i with ids[i] = k of sᵢ·g[i]  (G[padding_idx] = 0; "
                            "sᵢ = 1, or 1/count(ids[i]))")
    derivatives = ("dL/dg[i] = sᵢ·dL/dG[ids[i]] (0 where ids[i] = padding_idx)",)
    op_name = "embedding_backward"

    def forward(self, g, ids, rows, padding_idx, scale=None):
        self.ids, self.padding_idx, self.scale = ids, padding_idx, scale
        # torch's order: position by position into zeros (kernels/embedding.py)
        return rows_by_id(g.array.reshape(-1, g.shape[-1]), ids.reshape(-1), rows,
                          padding_idx, scale is not None)

    def backward(self, gg):
        rows = EmbeddingOp.apply(gg, self.ids)
        if self.scale is not None:
            rows = rows * self.constant(self.scale[..., None])
        if self.padding_idx is None:
            return rows
        return keep_where((self.ids != self.padding_idx)[..., None], rows)

