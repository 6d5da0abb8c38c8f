"""The CTC loss's forward-backward recursions (Graves et al. 2006) in log space, on NumPy
arrays: a Python loop over the time steps only, each step vectorised over the batch and the
positions s of the extended label sequence l' = (blank, l₁, blank, l₂, ..., l_S, blank).

Arrays: ``lp`` log-probabilities (T, N, C); ``lab`` the extended labels (N, L), L = 2·S_max + 1,
positions past a sample's own 2·S + 1 hold the blank and are marked invalid (``valid``), so
that their α and β stay −∞ and never reach a valid position; ``skip[n, s]``: the transition
s−2 → s is allowed (l'_s is a label unlike l'_{s−2}).

Each three-term log-sum-exp is written as torch's CPU kernel writes it,
``log(e^(a₁−m) + e^(a₂−m) + e^(a₃−m)) + m`` with m the largest term (0 when all are −∞), so
float32 and float64 results follow torch's to rounding.
"""
import numpy as np

__all__ = ["extended_labels", "ctc_alpha", "ctc_loss_grad"]


def extended_labels(targets, target_lengths, blank, padded):
    """``(lab, valid, skip)`` for targets padded (N, S) or concatenated (Σ target_lengths,)."""
    tl = target_lengths
    n, s_max = len(tl), int(tl.max(initial=0))
    j = np.arange(s_max)
    inside = j < tl[:, None]                                    # (N, S_max)
    if padded:
        tgt = targets[:, :s_max]
    else:
        start = np.cumsum(tl) - tl
        tgt = targets[np.where(inside, start[:, None] + j, 0)] if targets.size else \
            np.zeros((n, s_max), np.int64)
    lab = np.full((n, 2 * s_max + 1), blank, np.int64)
    lab[:, 1::2] = np.where(inside, tgt, blank)
    pos = np.arange(2 * s_max + 1)
    valid = pos < 2 * tl[:, None] + 1
    skip = np.zeros_like(valid)
    skip[:, 2:] = (lab[:, 2:] != lab[:, :-2]) & valid[:, 2:]
    return lab, valid, skip


def _emissions(lp, lab):
    """e[t, n, s] = lp[t, n, l'_s]: the log-probability of position s's label."""
    return lp[:, np.arange(lab.shape[0])[:, None], lab]


def _logsumexp3(a1, a2, a3):
    m = np.maximum(np.maximum(a1, a2), a3)
    m = np.where(m == -np.inf, 0, m)
    return np.log(np.exp(a1 - m) + np.exp(a2 - m) + np.exp(a3 - m)) + m


def _shift(a, k, fill):
    """a[..., s − k] (k > 0) or a[..., s + |k|] (k < 0) along the last axis, ``fill`` outside."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def ctc_alpha(lp, lab, valid, skip, input_lengths, target_lengths):
    """Forward variables and the loss: ``(log_alpha (T', N, L), nll (N,))``, T' = max input
    length. α₀(0) = y₀(blank), α₀(1) = y₀(l₁), and for t ≥ 1

        α_t(s) = y_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s−1) + [skip_s] α_{t−1}(s−2)),

    −log p = −log(α_{T−1}(2S) + α_{T−1}(2S−1)) (only α_{T−1}(0) for an empty target; an empty
    input gives 0 for an empty target, ∞ otherwise)."""
    il, tl = input_lengths, target_lengths
    neg = lp.dtype.type(-np.inf)
    n, width = lab.shape
    t_max = int(il.max(initial=0))
    e = _emissions(lp[:t_max], lab)
    alpha = np.full((t_max, n, width), neg, lp.dtype)
    if t_max:
        alpha[0, :, 0] = e[0, :, 0]
        if width > 1:
            alpha[0, :, 1] = np.where(tl > 0, e[0, :, 1], neg)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        a3 = np.where(skip, _shift(prev, 2, neg), neg)
        alpha[t] = np.where(valid, _logsumexp3(prev, _shift(prev, 1, neg), a3) + e[t], neg)
    rows = np.arange(n)
    last = alpha[np.maximum(il - 1, 0), rows] if t_max else np.full((n, width), neg, lp.dtype)
    l1 = last[rows, 2 * tl]
    l2 = np.where(tl > 0, last[rows, np.maximum(2 * tl - 1, 0)], neg)
    m = np.maximum(l1, l2)
    m = np.where(m == -np.inf, 0, m)
    ll = np.where(tl > 0, np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m, l1)
    ll = np.where(il == 0, np.where(tl == 0, 0, neg), ll).astype(lp.dtype, copy=False)
    return alpha, -ll


def _collect_by_class(ab, lab, valid, num_classes):
    """log Σ_{s: l'_s = c} exp(ab[t, n, s]) for every (t, n, c): −∞ where no s has label c.
    The (n, s) positions are sorted by (n, label) and each group is reduced with
    ``reduceat`` (its own maximum first, so a small class never underflows)."""
    t_len, n, _ = ab.shape
    rows, pos = np.nonzero(valid)
    key = rows * num_classes + lab[rows, pos]
    order = np.argsort(key, kind="stable")
    key, rows, pos = key[order], rows[order], pos[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    group = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    vals = ab[:, rows, pos]                                              # (T, K)
    m = np.maximum.reduceat(vals, starts, axis=1)
    m = np.where(m == -np.inf, 0, m)
    sums = np.add.reduceat(np.exp(vals - m[:, group]), starts, axis=1)
    out = np.full((t_len, n * num_classes), -np.inf, ab.dtype)
    out[:, key[starts]] = np.log(sums) + m
    return out.reshape(t_len, n, num_classes)


def ctc_loss_grad(lp, g, lab, valid, skip, input_lengths, target_lengths, nll, alpha,
                  zero_infinity):
    """torch's gradient of the per-sample losses, given the incoming gradient g (N,):

        β_{T−1}(2S) = y_{T−1}(blank), β_{T−1}(2S−1) = y_{T−1}(l_S), and for t < T−1
        β_t(s) = y_t(l'_s) · (β_{t+1}(s) + β_{t+1}(s+1) + [skip_{s+2}] β_{t+1}(s+2));

        grad[t, n, c] = (exp(lp) − exp(log Σ_{s: l'_s = c} α_t(s)β_t(s) + nll − lp)) · g_n

    for t < T_n, 0 for t ≥ T_n, and 0 for the whole sample when ``zero_infinity`` and its loss
    is ∞ (an impossible alignment without it gives NaN, as torch)."""
    il, tl = input_lengths, target_lengths
    neg = lp.dtype.type(-np.inf)
    t_max, n, width = alpha.shape
    e = _emissions(lp[:t_max], lab)
    pos = np.arange(width)
    end = (pos == 2 * tl[:, None]) | (pos == 2 * tl[:, None] - 1)        # β's first values
    skip_b = _shift(skip, -2, False)                                     # s → s+2 allowed
    beta = np.full_like(alpha, neg)
    nxt = np.full((n, width), neg, lp.dtype)
    for t in range(t_max - 1, -1, -1):
        b3 = np.where(skip_b, _shift(nxt, -2, neg), neg)
        rec = _logsumexp3(nxt, _shift(nxt, -1, neg), b3) + e[t]
        here = np.where((t == il - 1)[:, None], np.where(end, e[t], neg),
                        np.where((t < il - 1)[:, None], rec, neg))
        beta[t] = nxt = np.where(valid, here, neg)
    ab = alpha + beta
    collected = _collect_by_class(ab, lab, valid, lp.shape[2])
    # torch's kernel *assigns* (does not add) the last step's two terms, the blank's first:
    # a target whose last label is the blank itself keeps only α+β at 2S−1 there
    last_is_blank = (tl > 0) & (il > 0) & (lab[np.arange(n), np.maximum(2 * tl - 1, 0)]
                                            == lab[0, 0])
    if last_is_blank.any():
        rows = np.flatnonzero(last_is_blank)
        collected[il[rows] - 1, rows, lab[0, 0]] = ab[il[rows] - 1, rows, 2 * tl[rows] - 1]
    x = lp[:t_max]
    grad = np.zeros_like(lp)
    grad[:t_max] = (np.exp(x) - np.exp(collected + nll[:, None] - x)) * g[:, None]
    keep = np.arange(lp.shape[0])[:, None] < il                          # (T, N)
    if zero_infinity:
        keep = keep & (nll != np.inf)
    return np.where(keep[:, :, None], grad, 0).astype(lp.dtype, copy=False)
