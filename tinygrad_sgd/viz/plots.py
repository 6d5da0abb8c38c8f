"""Training plots: loss curves, 2-D decision boundaries, image grids with predictions.

matplotlib is imported inside each function, never when this module is imported. Each
function returns the matplotlib ``Figure`` and, given ``path``, saves it there as a PNG.
"""

import math
import os
import sys
from pathlib import Path

import numpy as np

__all__ = ["plot_loss", "plot_decision_boundary", "plot_image_grid"]

DPI = 100


def plot_loss(losses, path=None, title="Training loss", xlabel="epoch", labels=None):
    """Plot one loss curve (a list of numbers) or several (a list of lists, or a dict
    name -> list, whose names label the curves). ``labels`` names the curves of a list.
    Curves are drawn against 1, 2, ..., len(curve); a curve of a single value (one epoch) is
    drawn as a dot, since a line needs two points.
    """
    plt = _pyplot()
    if isinstance(losses, dict):
        labels, curves = list(losses.keys()), list(losses.values())
    elif len(losses) > 0 and np.ndim(_to_numpy(losses[0])) > 0:
        curves = list(losses)
    else:
        curves = [losses]
    if labels is not None and len(labels) != len(curves):
        raise ValueError(f"plot_loss: {len(labels)} labels for {len(curves)} curves")

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, curve in enumerate(curves):
        values = np.array([np.asarray(_to_numpy(v), dtype=np.float64).item() for v in curve])
        ax.plot(np.arange(1, len(values) + 1), values, marker="o" if len(values) == 1 else None,
                label=None if labels is None else str(labels[i]))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs are whole numbers
    ax.grid(True, alpha=0.3)
    if labels is not None:
        ax.legend()
    return _finish(fig, path)


def plot_decision_boundary(predict, X, y, path=None, title="Decision boundary", resolution=200):
    """Draw what a 2-D classifier predicts over the plane, with the data on top.

    ``predict`` takes an (M, 2) float32 array and returns M scores, probabilities or labels
    (shape (M,) or (M, 1); an (M, K) result is turned into labels by argmax). The filled
    contour shows the prediction over a grid spanning ``X`` (plus a 10% margin); the black
    line is the decision boundary: the 0 level when there are negative scores, else 0.5.
    """
    plt = _pyplot()
    X = np.asarray(_to_numpy(X), dtype=np.float32)
    y = np.asarray(_to_numpy(y)).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must be (N, 2), got shape {X.shape}")

    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution, dtype=np.float32)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)

    z = np.asarray(_to_numpy(predict(grid)), dtype=np.float64)
    is_labels = bool(np.all(z == np.round(z)))
    if z.ndim == 2 and z.shape[1] > 1:
        z, is_labels = z.argmax(axis=1), True
    if z.size != grid.shape[0]:
        raise ValueError(f"plot_decision_boundary: predict returned shape {z.shape} for "
                         f"{grid.shape[0]} points; expected ({grid.shape[0]},) or "
                         f"({grid.shape[0]}, 1)")
    z = z.reshape(gx.shape)

    fig, ax = plt.subplots(figsize=(6, 5))
    filled = ax.contourf(gx, gy, z, levels=20, cmap="RdBu_r", alpha=0.55)
    fig.colorbar(filled, ax=ax, label="prediction")
    if is_labels and z.max() > 1:   # labels 0..K-1: a line between neighbouring labels
        boundary = np.arange(z.min(), z.max()) + 0.5
    else:
        boundary = [0.0 if z.min() < 0 else 0.5]
    boundary = [b for b in boundary if z.min() < b < z.max()]
    if boundary:
        ax.contour(gx, gy, z, levels=boundary, colors="k", linewidths=1.5)

    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", linewidths=0.5,
                        s=22)
    if len(np.unique(y)) <= 10:
        ax.legend(*points.legend_elements(), title="class", loc="best", fontsize="small")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return _finish(fig, path)


def plot_image_grid(images, true_labels, pred_labels, path=None, class_names=None, ncols=3,
                    title=None):
    """Show grey images in a grid captioned "true: X / pred: Y", green when right, red when
    wrong (``pred_labels=None`` shows the true labels only, in black).

    ``images`` is N x 1 x H x W or N x H x W. Images normalised to [-1, 1] (as MNIST here)
    are mapped back to [0, 1] for display; images in [0, 255] are divided by 255.
    """
    plt = _pyplot()
    images = np.asarray(_to_numpy(images), dtype=np.float32)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"plot_image_grid: images must be N x 1 x H x W or N x H x W, "
                         f"got shape {images.shape}")
    images = _for_display(images)
    n = len(images)

    def name(label):
        return str(class_names[int(label)]) if class_names is not None else str(int(label))

    true_labels = np.asarray(_to_numpy(true_labels)).reshape(-1)
    if pred_labels is None:
        captions = [f"true: {name(t)}" for t in true_labels[:n]]
        colours = ["black"] * n
    else:
        pred_labels = np.asarray(_to_numpy(pred_labels)).reshape(-1)
        captions = [f"true: {name(t)} / pred: {name(p)}"
                    for t, p in zip(true_labels[:n], pred_labels[:n])]
        colours = ["green" if t == p else "red" for t, p in zip(true_labels, pred_labels)]
    two_lines = any(len(c) > 26 for c in captions)   # long class names: "true" above "pred"
    if two_lines:
        captions = [c.replace(" / ", "\n") for c in captions]

    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    height = (2.4 + 0.25 * two_lines) * nrows + 0.3 * bool(title)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, height), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_title(captions[i], fontsize=9, color=colours[i])
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


# ---- helpers ----
def _pyplot():
    """Import pyplot, choosing the non-interactive 'Agg' backend when there is no display
    (and the user has not chosen a backend with $MPLBACKEND or pyplot is not yet loaded)."""
    import matplotlib

    no_display = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if no_display and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, format="png")
    return fig


def _to_numpy(x):
    """A NumPy view of an array-like, a tinygrad_sgd Tensor or a torch tensor."""
    if isinstance(x, (np.ndarray, list, tuple, int, float)):
        return x
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        return x.detach().numpy()
    if isinstance(getattr(x, "array", None), np.ndarray):
        return x.array
    return x


def _for_display(images):
    """Map images to [0, 1] for imshow: [-1, 1] -> x*0.5 + 0.5; [0, 255] -> x/255."""
    if images.min() < 0:
        images = images * 0.5 + 0.5
    elif images.max() > 1:
        images = images / 255.0
    return np.clip(images, 0.0, 1.0)
