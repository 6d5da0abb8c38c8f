"""Small synthetic data sets for the classic lessons: blobs, XOR, logistic, separable.

All return float32 features; every function takes a ``seed`` and is deterministic under it.
"""

import numpy as np

__all__ = ["make_blobs", "make_xor", "make_logistic", "make_separable"]


def make_blobs(n_samples=400, centers=2, n_features=2, cluster_std=1.5, seed=1,
               center_box=(-10.0, 10.0)):
    """Gaussian blobs, like ``sklearn.datasets.make_blobs``.

    ``centers`` is a number of classes (their centres drawn uniformly in ``center_box``) or
    an array of centres. The samples are split as evenly as possible between the classes and
    shuffled. Returns ``X`` (float32, n_samples x n_features) and ``y`` (int64, n_samples).
    """
    rng = np.random.default_rng(seed)
    if np.ndim(centers) == 0:
        centers = rng.uniform(*center_box, size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    k = len(centers)

    counts = np.full(k, n_samples // k)
    counts[:n_samples % k] += 1
    y = np.repeat(np.arange(k), counts)
    X = centers[y] + rng.normal(scale=cluster_std, size=(n_samples, centers.shape[1]))

    perm = rng.permutation(n_samples)
    return X[perm].astype(np.float32), y[perm].astype(np.int64)


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def make_xor(n_samples=None, noise=0.0, seed=None):
    """The XOR problem: labels are ``x1 xor x2``, which no straight line separates.

    By default the four points [[0,0],[0,1],[1,0],[1,1]] with labels [0,1,1,0]. With
    ``n_samples``, that many points spread evenly over the four corners (then shuffled), each
    moved by Gaussian ``noise`` (standard deviation). Returns ``X`` float32 (N x 2) and
    ``y`` int64 (N,).
    """
    rng = np.random.default_rng(seed)
    if n_samples is None:
        corner = np.arange(4)
    else:
        corner = rng.permutation(np.arange(n_samples) % 4)
    X = XOR_X[corner]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X.astype(np.float32), XOR_Y[corner].copy()


def make_logistic(n_samples=1000, seed=0):
    """The logistic-regression lesson's data: points uniform in the unit square with label
    ``round(0.25*x1 + 0.45*x2 + 0.3*u)``, ``u ~ U(0, 1)`` (a noisy linear boundary).

    Returns ``X`` float32 (N x 2) and ``y`` float32 (N x 1), ready for a BCE loss.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n_samples, 2))
    u = rng.uniform(size=n_samples)
    y = np.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * u)
    return X.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def make_separable(n_samples=100, seed=0, margin=0.25):
    """A linearly separable two-class set for the perceptron, labels in {-1, +1}.

    A random line through the square [-1, 1]^2; each point is placed at a distance between
    ``margin`` and ``1 + margin`` from it, on the side of its label, so the classes are
    separated by a clear gap of at least ``2 * margin``. Half the points are in each class.
    Returns ``X`` float32 (N x 2) and ``y`` float32 (N,) (float, so ``y * x`` stays float32).
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    offset = rng.uniform(-0.2, 0.2) * normal

    y = rng.permutation(np.where(np.arange(n_samples) % 2 == 0, 1.0, -1.0))
    t = rng.uniform(-1, 1, size=n_samples)                    # position along the line
    d = y * rng.uniform(margin, 1 + margin, size=n_samples)   # signed distance from it
    X = offset + t[:, None] * along + d[:, None] * normal
    return X.astype(np.float32), y.astype(np.float32)
