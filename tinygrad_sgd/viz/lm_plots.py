"""Pictures for the language-model lessons (bigram → MLP → BatchNorm → backprop → GPT).

* :func:`plot_bigram_counts` — the V×V bigram count matrix as an annotated heat map;
* :func:`plot_embedding` — characters placed by their 2-D embedding vectors;
* :func:`plot_lr_sweep` — loss against the exponent of a rising learning rate;
* :func:`plot_layer_histograms` — one histogram per layer (tanh outputs, their gradients,
  weight gradients), one panel per model compared;
* :func:`plot_update_ratios` — log10(update / data) of each layer's weights over the steps;
* :func:`plot_attention` — every head's attention weights on one sequence, a grid of
  layers × heads;
* :func:`plot_gradient_check` — how far each hand-written gradient is from autograd's;
* :func:`plot_curves` — loss curves with their own x values, and target lines.

As in :mod:`.plots`, matplotlib is imported inside each function; each returns the
``Figure`` and, given ``path``, saves it there as a PNG.
"""
from pathlib import Path

import numpy as np

from .plots import DPI, _finish, _pyplot, _to_numpy

__all__ = ["plot_bigram_counts", "plot_embedding", "plot_lr_sweep", "plot_layer_histograms",
           "plot_update_ratios", "plot_attention", "plot_curves", "plot_gradient_check"]


def _label(ch):
    """A character as a label: the end token and spaces stay visible, a newline is drawn ↵."""
    return {"\n": "↵", " ": "␣", "\t": "⇥"}.get(ch, ch)


def plot_bigram_counts(counts, itos, path=None, title=None):
    """The count matrix ``counts[i, j]`` (how often character j follows character i) as a
    heat map, each cell annotated with its two characters and its count — the picture of
    makemore's first lesson. ``itos`` maps each id to its character."""
    plt = _pyplot()
    counts = np.asarray(_to_numpy(counts))
    n = counts.shape[0]
    if counts.shape != (n, n) or len(itos) < n:
        raise ValueError(f"plot_bigram_counts: expected a square matrix with a character per "
                         f"row, got shape {counts.shape} and {len(itos)} characters")
    size = max(6.0, 0.6 * n)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(counts, cmap="Blues")
    small = max(4.0, min(8.0, 200.0 / n))
    dark = counts > 0.45 * counts.max() if counts.max() > 0 else np.zeros_like(counts, bool)
    for i in range(n):                     # one two-line label per cell: "ab" over its count
        for j in range(n):
            ax.text(j, i, f"{_label(itos[i])}{_label(itos[j])}\n{int(counts[i, j])}",
                    ha="center", va="center", color="white" if dark[i, j] else "grey",
                    fontsize=small, linespacing=1.3)
    ticks = [_label(itos[i]) for i in range(n)]
    ax.set_xticks(range(n), ticks)
    ax.set_yticks(range(n), ticks)
    ax.set_xlabel("next character")
    ax.set_ylabel("character")
    ax.set_title(title or f"bigram counts ({int(counts.sum()):,} pairs)")
    # fixed margins instead of tight_layout: laying out 729 labels twice doubles the time
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.04, top=0.97)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, format="png")
    return fig


def plot_embedding(vectors, itos, path=None, title="Character embeddings"):
    """Each character at its 2-D embedding vector (``vectors``: V × 2), labelled. Characters
    the network treats alike end up close together (the vowels, typically)."""
    plt = _pyplot()
    vectors = np.asarray(_to_numpy(vectors), dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[1] != 2:
        raise ValueError(f"plot_embedding: expected (V, 2) vectors, got shape {vectors.shape}")
    fig, ax = plt.subplots(figsize=(6.4, 6.4))
    ax.scatter(vectors[:, 0], vectors[:, 1], s=300, color="tab:blue", alpha=0.8)
    for i, (x, y) in enumerate(vectors):
        ax.text(x, y, _label(itos[i]), ha="center", va="center", color="white", fontsize=11)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


def plot_lr_sweep(exponents, losses, path=None, title="Learning-rate sweep", best=None):
    """The loss of each step of a sweep in which the learning rate rises, step by step, to
    10**exponent: it falls while the rate helps and blows up once it is too large. ``best``
    (an exponent) draws a vertical line where the lesson reads the good rate off."""
    plt = _pyplot()
    exponents = np.asarray(exponents, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(exponents, losses, lw=0.8, alpha=0.6, label="loss of the step")
    k = max(1, len(losses) // 40)
    if len(losses) > k:                               # a running mean shows the trend
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(exponents[k - 1:], smooth, lw=2, label=f"mean of {k} steps")
    if best is not None:
        ax.axvline(best, color="tab:red", ls="--", label=f"lr = 10^{best:.2f} = {10 ** best:.3g}")
    ax.set_xlabel("log10(learning rate)")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def plot_layer_histograms(panels, path=None, title="", xlabel="value", bins=80):
    """One panel per model (``panels``: dict name → list of (label, values)); in each, one
    histogram (as a line) per layer, so the layers' distributions lie on top of each other."""
    plt = _pyplot()
    if not panels:
        raise ValueError("plot_layer_histograms: nothing to draw")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    for ax, (name, layers) in zip(axes[0], panels.items()):
        for label, values in layers:
            values = np.asarray(_to_numpy(values), dtype=np.float64).ravel()
            counts, edges = np.histogram(values, bins=bins)
            ax.plot(0.5 * (edges[1:] + edges[:-1]), counts, label=label)
        ax.set_title(f"{name}")
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("count")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_update_ratios(panels, path=None, title="Update-to-data ratio (log10)", guide=-3.0):
    """For each model (``panels``: dict name → dict layer label → list over steps of
    log10(lr·std(grad) / std(weight))), one curve per layer; the dashed line at ``guide``
    (1e-3) is the rough rule: much above, the weights change too fast; much below, too slowly."""
    plt = _pyplot()
    if not panels:
        raise ValueError("plot_update_ratios: nothing to draw")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False,
                             sharey=True)
    for ax, (name, curves) in zip(axes[0], panels.items()):
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=label, lw=1)
        ax.axhline(guide, color="black", ls="--", lw=1)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("log10(update / data)")
    fig.suptitle(title)
    return _finish(fig, path)


def plot_attention(weights, tokens, path=None, title="Attention"):
    """``weights``: (n_layer, n_head, T, T) attention probabilities on one sequence of T
    ``tokens`` (characters); row t of each square is what position t looks at (only
    positions ≤ t: the mask is causal). One square per head, a row per layer."""
    plt = _pyplot()
    weights = np.asarray(_to_numpy(weights), dtype=np.float64)
    if weights.ndim != 4 or weights.shape[2] != weights.shape[3]:
        raise ValueError(f"plot_attention: expected (layers, heads, T, T) weights, got shape "
                         f"{weights.shape}")
    n_layer, n_head, t = weights.shape[:3]
    labels = [_label(c) for c in tokens][:t]
    side = max(2.6, 0.16 * t)
    fig, axes = plt.subplots(n_layer, n_head, figsize=(side * n_head + 0.6, side * n_layer + 0.6),
                             squeeze=False)
    for layer in range(n_layer):
        for head in range(n_head):
            ax = axes[layer][head]
            ax.imshow(weights[layer, head], cmap="viridis", vmin=0.0, vmax=1.0)
            ax.set_title(f"layer {layer}, head {head}", fontsize=8)
            ax.set_xticks(range(t), labels, fontsize=6)
            ax.set_yticks(range(t), labels, fontsize=6)
    fig.suptitle(title)
    return _finish(fig, path)


def plot_curves(curves, path=None, title="Loss", xlabel="step", ylabel="loss", hlines=None,
                logy=False):
    """Several curves, each given as ``name: (x, y)`` (their own x values, so a loss
    measured every step and one measured every 100 steps share the axes); ``hlines`` draws
    ``name: value`` as dashed horizontal lines (a target the curves should reach)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, (x, y) in curves.items():
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ax.plot(x, y, label=name, marker="o" if len(x) == 1 else None,
                lw=1 if len(x) > 200 else 1.5)
    for i, (name, value) in enumerate((hlines or {}).items()):
        ax.axhline(value, ls="--", color=f"C{len(curves) + i}", label=f"{name} ({value:.4f})")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def plot_gradient_check(checks, path=None, title="Hand-written gradients against autograd"):
    """One bar per tensor (``checks``: name → (exact, approximate, max difference)): the
    largest difference between the hand-written gradient and autograd's, on a log scale.
    Exact ones are drawn as a dot at the bottom; a bar past allclose's tolerance is red.
    With no rows (an exercise with nothing written yet) the axes say so."""
    plt = _pyplot()
    names = list(checks)
    if not names:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.text(0.5, 0.5, "no gradients to compare yet", ha="center", va="center")
        ax.set_title(title)
        return _finish(fig, path)
    diffs = np.array([checks[n][2] for n in names], dtype=np.float64)
    floor = min(1e-12, diffs[diffs > 0].min() / 10) if (diffs > 0).any() else 1e-12
    fig, ax = plt.subplots(figsize=(max(6.4, 0.32 * len(names)), 4.2))
    colours = ["tab:green" if checks[n][0] else "tab:blue" if checks[n][1] else "tab:red"
               for n in names]
    ax.bar(range(len(names)), np.maximum(diffs, floor), color=colours, bottom=0)
    ax.scatter([i for i, n in enumerate(names) if checks[n][0]],
               [floor] * sum(bool(checks[n][0]) for n in names), color="tab:green",
               label="exact", zorder=3)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
    ax.set_ylabel("max |hand − autograd|")
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color="tab:green", label="exact"),
                       Patch(color="tab:blue", label="approximate (allclose)"),
                       Patch(color="tab:red", label="not close")], fontsize=8)
    return _finish(fig, path)
