"""Tests for tinygrad_sgd.viz.plots: every plot writes a real, non-blank PNG."""

import numpy as np
import pytest

from tinygrad_sgd.data import make_blobs, make_separable
from tinygrad_sgd.viz.plots import plot_decision_boundary, plot_image_grid, plot_loss
from helpers import close_figures, n_colours, read_png  # noqa: F401  (autouse fixture)


def count_pixels(pixels, rgb, tol=0.12):
    """How many pixels are within ``tol`` of the colour ``rgb``."""
    return int(np.all(np.abs(pixels - np.array(rgb)) < tol, axis=-1).sum())


@pytest.mark.parametrize("losses,labels", [
    ([2.0, 1.2, 0.8, 0.5, 0.4, 0.35], None),
    ([[2.0, 1.0, 0.5], [2.5, 1.5, 1.0]], ["train", "test"]),
    ({"lr=0.1": np.linspace(2, 0.3, 20), "lr=0.01": np.linspace(2, 1, 20)}, None),
])
def test_plot_loss(tmp_path, losses, labels):
    path = tmp_path / "plots" / "loss.png"
    fig = plot_loss(losses, path=path, labels=labels, title="Loss", xlabel="step")
    pixels = read_png(path)
    assert n_colours(pixels) > 10
    ax = fig.axes[0]
    assert ax.get_title() == "Loss" and ax.get_xlabel() == "step"
    n_curves = len(losses) if isinstance(losses, dict) or labels else 1
    assert len(ax.lines) == n_curves
    np.testing.assert_allclose(ax.lines[0].get_xdata()[:2], [1, 2])
    if n_curves > 1:
        assert ax.get_legend() is not None


def test_plot_loss_of_one_epoch_draws_a_point(tmp_path):
    """mnist --epochs 1 writes a loss curve of one value: it must not be an empty plot."""
    fig = plot_loss([0.42], path=tmp_path / "one.png")
    line = fig.axes[0].lines[0]
    assert line.get_marker() == "o" and list(line.get_ydata()) == [0.42]
    pixels = read_png(tmp_path / "one.png")
    blue = count_pixels(pixels, (0.12, 0.47, 0.71))      # matplotlib's first colour
    assert blue > 20
    fig = plot_loss([[0.5], [0.7, 0.6]], labels=["a", "b"])
    assert [ln.get_marker() for ln in fig.axes[0].lines] == ["o", "None"]


def test_plot_loss_accepts_tensors(tmp_path):
    from tinygrad_sgd.tensor import Tensor

    fig = plot_loss([Tensor(np.float32(v)) for v in (1.0, 0.5, 0.25)])
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1.0, 0.5, 0.25])


def test_plot_loss_label_count_mismatch():
    with pytest.raises(ValueError, match="2 labels for 1 curves"):
        plot_loss([1.0, 0.5], labels=["a", "b"])


def test_plot_decision_boundary_probabilities(tmp_path):
    X, y = make_blobs(n_samples=200, seed=1)
    centre = X.mean(axis=0)
    seen = {}

    def predict(points):  # a logistic "model": P(class 1) grows to the right
        seen["dtype"], seen["shape"] = points.dtype, points.shape
        return (1 / (1 + np.exp(-(points[:, 0] - centre[0])))).reshape(-1, 1)

    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(predict, X, y, path=path, resolution=50)
    assert seen == {"dtype": np.float32, "shape": (2500, 2)}
    pixels = read_png(path)
    assert n_colours(pixels) > 20
    # reds on one side and blues on the other: both classes of the colour map are drawn
    reds = np.all([pixels[..., 0] > 0.7, pixels[..., 2] < 0.6], axis=0).sum()
    blues = np.all([pixels[..., 2] > 0.7, pixels[..., 0] < 0.6], axis=0).sum()
    assert reds > 1000 and blues > 1000
    ax = fig.axes[0]
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert ax.get_xlim()[0] < lo[0] and ax.get_xlim()[1] > hi[0]   # grid spans the data
    assert ax.get_ylim()[0] < lo[1] and ax.get_ylim()[1] > hi[1]


def test_plot_decision_boundary_scores_and_labels(tmp_path):
    X, y = make_separable(n_samples=60)
    w = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    fig = plot_decision_boundary(lambda p: p @ w[:2] + w[2], X, y, path=tmp_path / "s.png",
                                 resolution=40)
    assert n_colours(read_png(tmp_path / "s.png")) > 20
    assert len(fig.axes[0].collections) >= 3  # filled contour, boundary line, points
    # hard labels from an (M, K) score matrix, via argmax
    fig = plot_decision_boundary(lambda p: np.c_[-p[:, 0], p[:, 0]], X, (y > 0).astype(int),
                                 path=tmp_path / "l.png", resolution=40)
    assert n_colours(read_png(tmp_path / "l.png")) > 5


def test_plot_decision_boundary_rejects_wrong_shapes():
    X, y = make_blobs(n_samples=10)
    with pytest.raises(ValueError, match="predict returned shape"):
        plot_decision_boundary(lambda p: np.zeros(3), X, y, resolution=10)
    with pytest.raises(ValueError, match=r"X must be \(N, 2\)"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((10, 3)), y, resolution=10)


@pytest.mark.parametrize("layout", ["N1HW", "NHW"])
def test_plot_image_grid(tmp_path, layout):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(5, 1, 28, 28)).astype(np.float32)  # normalised, like MNIST
    if layout == "NHW":
        images = images[:, 0]
    true = np.array([3, 1, 4, 1, 5])
    pred = np.array([3, 1, 4, 7, 5])            # one mistake
    path = tmp_path / "grid.png"
    fig = plot_image_grid(images, true, pred, path=path, ncols=3, title="Predictions")
    pixels = read_png(path)
    assert n_colours(pixels) > 50
    assert count_pixels(pixels, (0, 0.5, 0)) > 20          # green captions (right)
    assert count_pixels(pixels, (1, 0, 0)) > 5             # a red caption (wrong)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["true: 3 / pred: 3", "true: 1 / pred: 1", "true: 4 / pred: 4",
                      "true: 1 / pred: 7", "true: 5 / pred: 5"]
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the last one blank


def test_plot_image_grid_class_names_and_unnormalises():
    images = np.zeros((2, 28, 28), dtype=np.float32) - 1.0   # black, in [-1, 1]
    images[1] = 1.0                                           # white
    fig = plot_image_grid(images, [0, 1], [0, 0], class_names=["cat", "dog"], ncols=2)
    assert [ax.get_title() for ax in fig.axes] == ["true: cat / pred: cat",
                                                   "true: dog / pred: cat"]
    shown = [ax.images[0].get_array() for ax in fig.axes]
    assert shown[0].max() == 0.0 and shown[1].min() == 1.0   # mapped back to [0, 1]
    assert fig.axes[1].title.get_color() == "red"


def test_plot_image_grid_true_labels_only_and_long_names(tmp_path):
    from tinygrad_sgd.tensor import Tensor

    pixels = np.random.default_rng(1).uniform(0, 255, (4, 1, 8, 8)).astype(np.float32)
    fig = plot_image_grid(Tensor(pixels), [0, 1, 2, 3], None, ncols=4, path=tmp_path / "g.png")
    assert [ax.get_title() for ax in fig.axes] == ["true: 0", "true: 1", "true: 2", "true: 3"]
    assert n_colours(read_png(tmp_path / "g.png")) > 20
    shown = fig.axes[0].images[0].get_array()
    assert 0 <= shown.min() and shown.max() <= 1                # [0, 255] divided by 255
    names = ["Ankle boot", "T-shirt/top"]
    fig = plot_image_grid(pixels[:2], [0, 1], [0, 0], class_names=names)
    assert fig.axes[1].get_title() == "true: T-shirt/top\npred: Ankle boot"
