"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2016, "Efficient softmax approximation for GPUs"),
torch's module: the same submodules (``head``, ``tail.i.0``, ``tail.i.1``), state_dict keys,
initial draws, outputs and errors, built from Linear layers, log_softmax, gather, index_select
and cat, so its gradients (and second order) come from those ops.

The classes are split by ``cutoffs`` [c₀ < c₁ < ... < n_classes]: the frequent ones [0, c₀) are
scored directly by the ``head`` (a Linear to c₀ + number of clusters outputs), and cluster i
(classes [cᵢ, cᵢ₊₁)) by one head output for the whole cluster plus a small two-layer ``tail``
(in_features → in_features // div_value^(i+1) → cᵢ₊₁ − cᵢ). A class's log-probability is

    log p(y) = log softmax(head(x))[y]                                   for y < c₀
    log p(y) = log softmax(head(x))[c₀ + i] + log softmax(tailᵢ(x))[y − cᵢ]   for y in cluster i
"""
from collections import namedtuple

import numpy as np

from ..errors import DTypeError
from ..tensor import Tensor
from ..functions import cat
from . import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation (see the module docstring). ``forward(input, target)``
    returns ``(output, loss)``: the target log-probability of each row and their negated mean;
    :meth:`log_prob` gives every class's log-probability, :meth:`predict` the most likely."""

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **factory),
                                        Linear(hsz, osz, bias=False, **factory)))

    def reset_parameters(self):
        """Draw every Linear's parameters again (head first, then each tail in order)."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input_.shape}")
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input_.shape}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target_.dtype.kind not in "iu":
            raise DTypeError(f"AdaptiveLogSoftmaxWithLoss: target must be an integer tensor, "
                             f"got {target_.dtype}")
        batched = target_.ndim > 0
        input = input_ if batched else input_.unsqueeze(0)
        t = np.asarray(target_.array, np.int64).reshape(-1)
        gather_inds = np.zeros(t.shape[0], np.int64)   # head column of each row
        pieces, rows_in_order = [], []                 # cluster log-probs, by range
        bounds = [0] + self.cutoffs
        for i, (low, high) in enumerate(zip(bounds, bounds[1:])):
            rows = np.nonzero((t >= low) & (t < high))[0]
            if rows.size == 0:
                continue
            if i == 0:
                gather_inds[rows] = t[rows]
                pieces.append(input.new_zeros(rows.size))
            else:
                gather_inds[rows] = self.shortlist_size + i - 1
                cluster = self.tail[i - 1](input.index_select(0, Tensor._of(rows)))
                local = F.log_softmax(cluster, dim=1).gather(
                    1, Tensor._of((t[rows] - low)[:, None]))
                pieces.append(local.squeeze(1))
            rows_in_order.append(rows)
        used = sum(r.size for r in rows_in_order)
        if used != t.shape[0]:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{t.min()}, {t.max()}] were found. ")
        if pieces:     # back to row order: piece values sit at the rows' places in the cat
            where = np.argsort(np.concatenate(rows_in_order), kind="stable")
            output = cat(pieces).index_select(0, Tensor._of(where))
        else:
            output = input.new_zeros(0)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, Tensor._of(gather_inds[:, None])).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input, head_output):
        """Every class's log-probability (N, n_classes) from ``head_output``."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob
                         + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, 1)

    def log_prob(self, input):
        """log p(c | x) for every class c, an (N, n_classes) Tensor from an (N, in_features)
        input."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most likely class of each row (int64, (N,)): the head's best when it is a
        shortlist class, else the argmax of :meth:`log_prob` for those rows (as torch)."""
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        out = np.array(output.array)
        outside = out >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        rows = Tensor._of(np.nonzero(outside)[0])
        log_prob = self._get_full_log_prob(input.index_select(0, rows),
                                           head_output.index_select(0, rows))
        out[outside] = log_prob.argmax(dim=1).array
        return Tensor._of(out)
