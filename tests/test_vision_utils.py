"""torchvision.utils.make_grid and save_image (tinygrad_sgd.vision.utils) against a NumPy
statement of torchvision's rules (torchvision itself does not install beside torch here):
images placed left to right, ``nrow`` a row, ``padding`` pixels of ``pad_value`` around
each; one channel made three; ``normalize`` over the batch, each image, or ``value_range``;
the file's pixels ``floor(clamp(255·x + 0.5, 0, 255))``."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import tinygrad_sgd as tg
from tinygrad_sgd.vision.utils import make_grid, save_image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def grid_of(batch, nrow=8, padding=2, pad_value=0.0):
    """torchvision's layout, in NumPy: batch (B, C, H, W), C already 3 or more."""
    b, c, h, w = batch.shape
    across = min(nrow, b)
    down = -(-b // across)
    out = np.full((c, (h + padding) * down + padding, (w + padding) * across + padding),
                  pad_value, batch.dtype)
    for k in range(b):
        y, x = divmod(k, across)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        out[:, top:top + h, left:left + w] = batch[k]
    return out


def normalized(batch, value_range=None, scale_each=False):
    def one(a):
        low, high = value_range if value_range is not None else (a.min(), a.max())
        return ((np.clip(a, low, high) - np.float32(low)) /
                np.float32(max(high - low, 1e-5))).astype(np.float32)
    return np.stack([one(a) for a in batch]) if scale_each else one(batch)


RNG = np.random.default_rng(0)
CASES = [  # (name, batch shape, make_grid keywords)
    ("defaults", (5, 3, 4, 6), {}),
    ("two a row", (5, 3, 4, 6), dict(nrow=2)),
    ("a full last row", (6, 3, 3, 3), dict(nrow=3, padding=1)),
    ("no padding", (4, 3, 2, 5), dict(padding=0, nrow=4)),
    ("grey to rgb", (3, 1, 5, 5), dict(nrow=2, pad_value=0.5)),
    ("normalize", (4, 3, 4, 4), dict(normalize=True)),
    ("normalize each", (4, 1, 4, 4), dict(normalize=True, scale_each=True, nrow=3)),
    ("value range", (4, 3, 4, 4), dict(normalize=True, value_range=(-1, 1))),
    ("rgba", (2, 4, 3, 3), dict(padding=3)),
]


@pytest.mark.parametrize("name, shape, kw", CASES, ids=[c[0] for c in CASES])
def test_make_grid_lays_images_out_as_torchvision(name, shape, kw):
    batch = (RNG.standard_normal(shape) * 2).astype(np.float32)
    got = make_grid(tg.tensor(batch), **kw)
    want = batch if batch.shape[1] != 1 else np.repeat(batch, 3, axis=1)
    if kw.get("normalize"):
        want = normalized(want, kw.get("value_range"), kw.get("scale_each", False))
    want = grid_of(want, kw.get("nrow", 8), kw.get("padding", 2), kw.get("pad_value", 0.0))
    assert got.dtype == tg.float32 and tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)


def test_make_grid_single_images_lists_and_errors():
    img = tg.rand(1, 4, 5)
    assert tuple(make_grid(img).shape) == (3, 4, 5)            # one image: no padding
    assert tuple(make_grid(tg.rand(4, 5)).shape) == (3, 4, 5)
    assert tuple(make_grid(tg.rand(1, 3, 4, 5)).shape) == (3, 4, 5)
    listed = make_grid([tg.rand(3, 2, 2) for _ in range(3)], nrow=3, padding=1)
    assert tuple(listed.shape) == (3, 4, 10)
    x = tg.rand(2, 3, 2, 2)
    before = x.numpy().copy()
    make_grid(x, normalize=True)
    assert np.array_equal(x.numpy(), before)                    # (normalizes a copy)
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="got a list containing"):
        make_grid([x[0], 3])
    with pytest.raises(TypeError):
        make_grid(x, normalize=True, range=(0, 1))       # (removed in torchvision 0.14)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(x, normalize=True, value_range=[0, 1])
    w = tg.rand(2, 3, 2, 2, requires_grad=True)
    assert not make_grid(w).requires_grad                       # (no_grad, as torchvision)


def test_save_image_writes_rounded_pixels(tmp_path):
    batch = RNG.random((3, 1, 4, 5)).astype(np.float32) * 1.2 - 0.1     # some out of [0, 1]
    save_image(tg.tensor(batch), tmp_path / "grid.png", nrow=2, padding=1)
    got = np.array(Image.open(tmp_path / "grid.png"))
    want = grid_of(np.repeat(batch, 3, axis=1), 2, 1)
    want = np.clip(want * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    assert got.dtype == np.uint8 and np.array_equal(got, want)
    with open(tmp_path / "one.jpg", "wb") as f:                  # a file object and a format
        save_image(tg.rand(3, 8, 8), f, format="JPEG")
    assert Image.open(tmp_path / "one.jpg").size == (8, 8)


def test_a_gan_style_program_saves_its_samples_under_the_runner(tmp_path):
    (tmp_path / "samples.py").write_text(
        "import torch\n"
        "import torchvision.utils as vutils\n"
        "from torchvision.utils import make_grid, save_image\n"
        "torch.manual_seed(0)\n"
        "fake = torch.tanh(torch.randn(16, 1, 6, 6))\n"
        "grid = vutils.make_grid(fake, padding=2, normalize=True)\n"
        "print(tuple(grid.shape))\n"
        "save_image(fake, 'fake.png', nrow=4, normalize=True)\n")
    done = subprocess.run([sys.executable, "-m", "tinygrad_sgd.as_torch", "samples.py"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(3, 18, 66)"
    assert Image.open(tmp_path / "fake.png").size == (34, 34)
