"""The CTC loss (connectionist temporal classification, Graves et al. 2006) as one node, as
torch's ``_ctc_loss``: per-sample negative log-likelihoods of the target label sequences under
all alignments. The recursions are kernels (:mod:`tinygrad_sgd.kernels.ctc`); the public
function with its argument checks and reductions is ``F.ctc_loss``."""
from ..autograd import Function
from ..kernels import ctc as kernels

__all__ = ["CtcLoss", "CtcLossGrad"]


class CtcLoss(Function):
    """lₙ = −log p(targetₙ | x), p summed over every alignment of the extended target
    l' = (blank, l₁, blank, ..., l_S, blank) to the first Tₙ steps, in log space with the
    α recursion (the forward variables are kept for the backward).

    **The gradient is torch's, not the plain derivative of lₙ.** With the posterior
    γ_t(c) = Σ_{s: l'_s = c} α_t(s)β_t(s) / (p · y_t(c)) (α, β both include the emission at t,
    y = exp(x)), the true derivative is dlₙ/dx[t, c] = −γ_t(c). torch returns instead

        grad[t, n, c] = g_n · (exp(x[t, n, c]) − γ_t(c)),

    the derivative with respect to the *logits* u of x = log_softmax(u). When x really is a
    log_softmax output (the documented use) both give the same final gradient: log_softmax's
    backward maps v ↦ v − exp(x)·Σ_c v, and Σ_c (exp(x) − γ) = 1 − 1 = 0 leaves torch's numbers
    unchanged, while −γ ↦ exp(x) − γ too. For raw (unnormalised) inputs the two differ, and we
    return torch's numbers anyway, so that a model trains identically. Steps t ≥ Tₙ get 0;
    with ``zero_infinity`` a sample whose loss is ∞ gets 0 everywhere."""
    inputs, rule = ("x",), "lₙ = −log Σ_{alignments π of l'} Π_t exp(x[t, n, π_t])"
    derivatives = ("dl/dx[t, n, c] = exp(x[t, n, c]) − γ_t(c) (torch's: the logits' gradient)",)

    def forward(self, x, targets, input_lengths, target_lengths, blank, zero_infinity,
                padded):
        lab, valid, skip = kernels.extended_labels(targets, target_lengths, blank, padded)
        alpha, nll = kernels.ctc_alpha(x.array, lab, valid, skip, input_lengths,
                                       target_lengths)
        self.save_for_backward(x)
        if self._recording:      # plain attributes: release() frees them after backward
            self.lab, self.valid, self.skip, self.alpha, self.nll = lab, valid, skip, alpha, nll
            self.input_lengths, self.target_lengths = input_lengths, target_lengths
        self.blank, self.zero_infinity = blank, zero_infinity
        return nll

    def backward(self, g):
        x, = self.saved_tensors
        state = (self.lab, self.valid, self.skip, self.input_lengths, self.target_lengths,
                 self.nll, self.alpha, self.zero_infinity)
        return CtcLossGrad.apply(x, g, state)

    def label(self):
        return f"ctc_loss(blank={self.blank})"


class CtcLossGrad(Function):
    """The CTC loss's backward as a node (β recursion, then torch's formula above, done by
    :func:`kernels.ctc.ctc_loss_grad`). torch has no derivative of it: a second-order
    gradient raises, as torch's."""
    inputs, rule = ("x", "g"), "u[t, n, c] = gₙ · (exp(x[t, n, c]) − γ_t(c))"
    derivatives = ("not implemented (as in torch)", "not implemented (as in torch)")
    op_name = "ctc_loss_backward"

    def forward(self, x, g, state):
        lab, valid, skip, il, tl, nll, alpha, zero_infinity = state
        return kernels.ctc_loss_grad(x.array, g.array, lab, valid, skip, il, tl, nll, alpha,
                                     zero_infinity)

    def backward(self, gg):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
