"""Tests for tinygrad_sgd.data: the IDX reader, MNIST/Fashion-MNIST, DataLoader, synthetic sets."""

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sgd.data import (MNIST, ChecksumError, DataLoader, FashionMNIST, IDXError,
                               download_file, make_blobs, make_logistic, make_separable,
                               make_xor, next_batch, read_idx)
from tinygrad_sgd.data import mnist as mnist_module

SHARED_MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"
if not SHARED_MNIST.is_dir():
    SHARED_MNIST = Path("/work/shared/data/mnist")
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")

# the published per-digit counts of the MNIST test split
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------------------------------------------------------------- helpers
def idx_bytes(array, type_code=0x08):
    """The bytes of an IDX file holding ``array``."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + np.asarray(array).astype(dtype[type_code]).tobytes()


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def md5(data):
    return hashlib.md5(data).hexdigest()


def copy_mnist(dest):
    """Copy the real MNIST test files into ``dest`` (as ordinary, writable files)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(SHARED_MNIST / name, dest / name)
    return dest


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $TINYGRAD_SGD_DATA, an empty home (so an empty ~/.cache), no Debian folder."""
    monkeypatch.delenv("TINYGRAD_SGD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(FashionMNIST, "system_dirs", [])
    return tmp_path


def to_numpy(t):
    """The array inside a tinygrad_sgd Tensor."""
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t.data)


# ---------------------------------------------------------------- IDX reader
@pytest.mark.parametrize("code,dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                        (0x0C, np.int32), (0x0D, np.float32),
                                        (0x0E, np.float64)])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip_every_type(tmp_path, code, dtype, gz):
    low = 0 if dtype == np.uint8 else -5
    a = (np.arange(low, low + 24) * 3).reshape(2, 3, 4).astype(dtype)
    data = idx_bytes(a, code)
    path = write(tmp_path / ("a.idx.gz" if gz else "a.idx"), gzip.compress(data) if gz else data)
    out = read_idx(path)
    assert out.dtype == dtype and out.dtype.isnative
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, a)
    out[0, 0, 0] = 1  # writable


def test_read_idx_real_labels():
    labels = read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert list(labels[:5]) == [7, 2, 1, 0, 4]


def bad_idx_files():
    good = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    return {
        "truncated": (good[:-5], "truncated: header says 3x4x4 = 48 bytes of data, file has 43"),
        "overlong": (good + b"\0\0", "overlong: header says 3x4x4 = 48 bytes of data, file has 50"),
        "truncated int32": (idx_bytes(np.zeros((2, 3), np.int32), 0x0C)[:-1],
                            "header says 2x3 int32 (4 bytes each) = 24 bytes of data"),
        "magic": (b"\x12\x34" + good[2:], "bad magic number 0x12340803"),
        "type code": (good[:2] + b"\x07" + good[3:], "unknown data type code 0x07"),
        "no dims": (b"\0\0\x08\0", "number of dimensions is 0"),
        "short header": (good[:9],
                         "truncated header: 3 dimensions need 16 header bytes, file has 9"),
        "tiny": (b"\0\0", "too short for an IDX header"),
    }


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("case", list(bad_idx_files()))
def test_read_idx_rejects_bad_files(tmp_path, case, gz):
    data, expected = bad_idx_files()[case]
    name = f"bad-{case.replace(' ', '-')}-idx3-ubyte" + (".gz" if gz else "")
    path = write(tmp_path / name, gzip.compress(data) if gz else data)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize("damage", ["cut", "flip", "not gzip"])
def test_read_idx_corrupt_gzip(tmp_path, damage):
    gz = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8).reshape(10, 20)))
    if damage == "cut":
        gz = gz[:len(gz) // 2]
    elif damage == "flip":
        gz = gz[:20] + bytes(b ^ 0xFF for b in gz[20:30]) + gz[30:]
    else:
        gz = b"PK\x03\x04 this is a zip, not a gzip"
    path = write(tmp_path / "t10k-images-idx3-ubyte.gz", gz)
    with pytest.raises(IDXError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- MNIST, real files
def test_mnist_test_split_from_shared_folder(isolated, monkeypatch):
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED_MNIST.parent))
    ds = MNIST(train=False, download=False)
    assert Path(ds.source) == SHARED_MNIST
    assert len(ds) == 10000
    assert ds.data.shape == (10000, 1, 28, 28) and ds.data.dtype == np.float32
    assert ds.targets.shape == (10000,) and ds.targets.dtype == np.int64
    assert ds.data.min() == -1.0 and ds.data.max() == 1.0
    # mean pixel of the MNIST test set is 0.1325 in [0, 1], so 2*0.1325 - 1 here
    assert abs(ds.data.mean() - (2 * 0.1325 - 1)) < 2e-3
    assert list(np.bincount(ds.targets, minlength=10)) == MNIST_TEST_COUNTS
    assert ds.classes == [str(d) for d in range(10)]

    image, label = ds[0]
    assert label == 7 and isinstance(label, int)
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    images, labels = ds[np.array([0, 1, 2])]
    assert images.shape == (3, 1, 28, 28) and list(labels) == [7, 2, 1]
    images, labels = ds[10:20]
    assert images.shape == (10, 1, 28, 28) and labels.dtype == np.int64


def test_mnist_root_and_subfolder(isolated):
    root = isolated / "data"
    copy_mnist(root / "mnist")
    assert Path(MNIST(root=root, train=False).source) == root / "mnist"
    flat = copy_mnist(isolated / "flat")
    assert Path(MNIST(root=flat, train=False).source) == flat


def test_mnist_accepts_uncompressed_files_with_known_md5(isolated):
    root = isolated / "raw"
    root.mkdir()
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (root / name).write_bytes(gzip.decompress((SHARED_MNIST / f"{name}.gz").read_bytes()))
    ds = MNIST(root=root, train=False, download=False)
    assert len(ds) == 10000 and ds[0][1] == 7


def test_mnist_checksum_mismatch_is_an_error(isolated):
    root = copy_mnist(isolated / "data")
    labels = root / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(labels.read_bytes())
    data[-20] ^= 0x01
    labels.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as info:
        MNIST(root=root, train=False)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(labels) in message
    assert "ec29112dd5afa0611ce80d1b7f02629c" in message      # expected
    assert md5(bytes(data)) in message                         # actual


def test_mnist_uncompressed_with_wrong_md5_is_an_error(isolated):
    root = isolated / "raw"
    write(root / "t10k-images-idx3-ubyte", idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    with pytest.raises(ChecksumError, match="2646ac647ad5339dbf082846283269ea"):
        MNIST(root=root, train=False)


def test_missing_file_message_lists_every_place(isolated, monkeypatch):
    env_dir = isolated / "env"
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(env_dir))
    root = isolated / "root"
    with pytest.raises(FileNotFoundError) as info:
        MNIST(root=root, train=True, download=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    home_cache = isolated / "home" / ".cache" / "tinygrad_sgd"
    for place in (root, root / "mnist", env_dir, env_dir / "mnist", home_cache,
                  home_cache / "mnist"):
        assert str(place) in message
    assert "TINYGRAD_SGD_DATA" in message and "root=" in message
    assert "download=False" in message


def test_offline_download_gives_file_not_found(isolated, monkeypatch):
    tried = []

    def offline(url, timeout):
        tried.append((url, timeout))
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(mnist_module, "urlopen", offline)
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(root=isolated / "root", train=False)
    message = str(info.value)
    assert [u for u, _ in tried] == [FashionMNIST.mirrors[0] + "t10k-images-idx3-ubyte.gz"]
    assert all(t <= 10 for _, t in tried)
    assert "no network" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(isolated / "root" / "fashion-mnist") in message
    assert not any((isolated / "root").rglob("*.part"))  # no temp file left behind


# ---------------------------------------------------------------- downloading
def small_mnist_files(n=5):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    return {"train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
            "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}, images, labels


def test_download_with_fake_opener(isolated, monkeypatch):
    files, images, labels = small_mnist_files()
    for name, data in files.items():
        monkeypatch.setitem(MNIST.md5s, name, (md5(data),))
    urls = []

    def fake_opener(url, timeout):
        urls.append(url)
        if url.startswith(MNIST.mirrors[0]):           # the first mirror is down
            raise urllib.error.URLError("first mirror down")
        return io.BytesIO(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(mnist_module, "urlopen", fake_opener)
    root = isolated / "root"
    ds = MNIST(root=root, train=True)
    assert len(urls) == 4 and urls[1] == MNIST.mirrors[1] + "train-images-idx3-ubyte.gz"
    assert Path(ds.source) == root / "mnist"
    assert sorted(p.name for p in (root / "mnist").iterdir()) == sorted(files)  # no temp files
    assert len(ds) == 5
    np.testing.assert_allclose(ds.data[:, 0], (images / 255 - 0.5) / 0.5, atol=1e-6)
    assert list(ds.targets) == list(labels)

    # now the files are there: found without any download
    urls.clear()
    assert len(MNIST(root=root, train=True)) == 5 and urls == []


def test_download_with_wrong_md5_is_discarded(isolated, monkeypatch):
    files, _, _ = small_mnist_files()
    monkeypatch.setattr(mnist_module, "urlopen", lambda url, timeout: io.BytesIO(b"junk"))
    with pytest.raises(FileNotFoundError) as info:
        MNIST(root=isolated / "root", train=True)
    assert "checksum mismatch" in str(info.value)
    assert MNIST.md5s["train-images-idx3-ubyte.gz"][0] in str(info.value)
    assert md5(b"junk") in str(info.value)
    assert list((isolated / "root" / "mnist").iterdir()) == []


def test_download_file_from_file_url(tmp_path):
    files, _, _ = small_mnist_files()
    mirror = tmp_path / "mirror"
    for name, data in files.items():
        write(mirror / name, data)
    name, data = "train-labels-idx1-ubyte.gz", files["train-labels-idx1-ubyte.gz"]
    dest = tmp_path / "out" / "sub" / name
    got = download_file([(tmp_path / "nowhere").as_uri() + "/", mirror.as_uri() + "/"], dest,
                        (md5(data),))
    assert got == dest and dest.read_bytes() == data
    assert sorted(p.name for p in dest.parent.iterdir()) == [name]


def test_fashion_mnist_from_debian(monkeypatch, tmp_path):
    if not DEBIAN_FASHION.is_dir():
        pytest.skip(f"{DEBIAN_FASHION} missing (apt-get install dataset-fashion-mnist)")
    monkeypatch.delenv("TINYGRAD_SGD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    test = FashionMNIST(root=Path("/nonexistent"), train=False, download=False)
    assert Path(test.source) == DEBIAN_FASHION
    assert test.data.shape == (10000, 1, 28, 28) and test.data.dtype == np.float32
    assert list(np.bincount(test.targets)) == [1000] * 10
    assert test.classes[9] == "Ankle boot" and len(test.classes) == 10
    assert test.data.min() == -1.0 and test.data.max() == 1.0
    assert test[0][1] == 9  # the first test image is an ankle boot
    train = FashionMNIST(root=Path("/nonexistent"), train=True, download=False)
    assert len(train) == 60000 and list(np.bincount(train.targets)) == [6000] * 10


def test_importing_data_does_not_import_tqdm_or_matplotlib():
    code = ("import sys, tinygrad_sgd.data, tinygrad_sgd.viz.plots; "
            "bad = [m for m in ('tqdm', 'matplotlib', 'torch') if m in sys.modules]; "
            "assert not bad, bad")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# ---------------------------------------------------------------- DataLoader
def test_loader_batches_and_len():
    X = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    y = np.arange(10, dtype=np.int64)
    loader = DataLoader((X, y), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [to_numpy(xb).shape for xb, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([to_numpy(xb) for xb, _ in batches]), X)
    np.testing.assert_array_equal(np.concatenate([to_numpy(yb) for _, yb in batches]), y)
    assert to_numpy(batches[0][0]).dtype == np.float32
    assert to_numpy(batches[0][1]).dtype == np.int64

    dropped = DataLoader((X, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [to_numpy(yb).shape for _, yb in dropped] == [(4,), (4,)]
    assert len(DataLoader((X, y), batch_size=5, drop_last=True)) == 2
    assert len(DataLoader((X, y), batch_size=20)) == 1
    assert len(DataLoader((X, y), batch_size=20, drop_last=True)) == 0


def test_loader_yields_tensors():
    from tinygrad_sgd.tensor import Tensor

    X, y = make_blobs(n_samples=8)
    xb, yb = next(iter(DataLoader((X, y), batch_size=8)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)


def test_loader_shuffle_is_reproducible_and_covers_every_index():
    n = 23
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n)

    def epochs(loader, k=3):
        return [np.concatenate([to_numpy(yb) for _, yb in loader]) for _ in range(k)]

    a = epochs(DataLoader((X, y), batch_size=5, shuffle=True, seed=42))
    b = epochs(DataLoader((X, y), batch_size=5, shuffle=True, seed=42))
    c = epochs(DataLoader((X, y), batch_size=5, shuffle=True, seed=7))
    for order in a:
        assert sorted(order) == list(range(n))              # every index once per epoch
    assert all(np.array_equal(p, q) for p, q in zip(a, b))   # same seed, same epochs
    assert not np.array_equal(a[0], a[1])                    # reshuffled each epoch
    assert not np.array_equal(a[0], c[0])                    # another seed, another order
    assert not np.array_equal(a[0], np.arange(n))
    # x and y stay paired
    xb, yb = next(iter(DataLoader((X, y), batch_size=5, shuffle=True, seed=1)))
    np.testing.assert_array_equal(to_numpy(xb)[:, 0], to_numpy(yb))


class ItemDataset:
    """Only supports integer indexing: exercises the slow, general path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not isinstance(i, int):
            raise TypeError("integer index only")
        return np.full((2, 2), i, dtype=np.float32), i


class BatchDataset(ItemDataset):
    """Supports index arrays and counts calls: exercises the fast path."""

    calls = 0

    def __getitem__(self, i):
        BatchDataset.calls += 1
        i = np.asarray(i)
        return np.broadcast_to(i[..., None, None], i.shape + (2, 2)).astype(np.float32), i


@pytest.mark.parametrize("dataset_class", [ItemDataset, BatchDataset])
def test_loader_over_datasets(dataset_class):
    loader = DataLoader(dataset_class(10), batch_size=3, shuffle=True, seed=0)
    BatchDataset.calls = 0
    seen = []
    for xb, yb in loader:
        x, y = to_numpy(xb), to_numpy(yb)
        assert x.shape[1:] == (2, 2) and x.dtype == np.float32
        np.testing.assert_array_equal(x[:, 0, 0], y)
        seen.extend(y.tolist())
    assert sorted(seen) == list(range(10)) and len(loader) == 4
    if dataset_class is BatchDataset:
        assert BatchDataset.calls == 4  # one call per batch, not per item


def test_loader_over_mnist(isolated, monkeypatch):
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED_MNIST.parent))
    ds = MNIST(train=False)
    loader = DataLoader(ds, batch_size=64, shuffle=False)
    assert len(loader) == 157
    xb, yb = next(iter(loader))
    x, y = to_numpy(xb), to_numpy(yb)
    assert x.shape == (64, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, ds.data[:64])
    assert y[0] == 7


def test_loader_rejects_bad_arguments():
    X, y = np.zeros((4, 2)), np.zeros(3)
    with pytest.raises(ValueError, match="different lengths"):
        DataLoader((X, y))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader((X, np.zeros(4)), batch_size=0)


def test_next_batch():
    X, y = np.arange(10)[:, None], np.arange(10)
    batches = list(next_batch(X, y, 4))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][0][:, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(batches[2][1], [8, 9])


# ---------------------------------------------------------------- synthetic sets
def test_make_blobs():
    X, y = make_blobs()
    assert X.shape == (400, 2) and X.dtype == np.float32
    assert y.shape == (400,) and y.dtype == np.int64
    assert list(np.bincount(y)) == [200, 200]
    X2, y2 = make_blobs()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_blobs(seed=2)[0])
    # each class's points are spread around its own centre with std ~ cluster_std
    for k in (0, 1):
        assert 1.3 < X[y == k].std(axis=0).mean() < 1.7
    X3, y3 = make_blobs(n_samples=301, centers=3, n_features=4, cluster_std=0.5, seed=0)
    assert X3.shape == (301, 4) and list(np.bincount(y3)) == [101, 100, 100]
    centres = np.array([X3[y3 == k].mean(axis=0) for k in range(3)])
    assert np.all(np.abs(centres) < 10.5)


def test_make_xor():
    X, y = make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float32 and y.dtype == np.int64
    X, y = make_xor(n_samples=200, noise=0.1, seed=3)
    assert X.shape == (200, 2) and X.dtype == np.float32 and list(np.bincount(y)) == [100, 100]
    corners = np.round(X).astype(int)
    np.testing.assert_array_equal(corners[:, 0] ^ corners[:, 1], y)
    np.testing.assert_array_equal(X, make_xor(n_samples=200, noise=0.1, seed=3)[0])


def test_make_logistic():
    X, y = make_logistic()
    assert X.shape == (1000, 2) and X.dtype == np.float32
    assert y.shape == (1000, 1) and y.dtype == np.float32
    assert X.min() >= 0 and X.max() <= 1
    assert set(np.unique(y)) == {0.0, 1.0}
    assert 0.2 < y.mean() < 0.8
    # the label is 1 exactly when 0.25 x1 + 0.45 x2 + 0.3 u >= 0.5 for some u in [0, 1):
    score = 0.25 * X[:, 0] + 0.45 * X[:, 1]
    assert np.all(y[score > 0.5 + 1e-6, 0] == 1) and np.all(y[score < 0.2 - 1e-6, 0] == 0)
    np.testing.assert_array_equal(X, make_logistic()[0])


def test_make_separable_is_separable():
    X, y = make_separable()
    assert X.shape == (100, 2) and X.dtype == np.float32
    assert y.shape == (100,) and y.dtype == np.float32
    assert set(np.unique(y)) == {-1.0, 1.0} and y.sum() == 0
    # the perceptron learning rule converges on separable data
    w, b = np.zeros(2, np.float32), np.float32(0)
    for _ in range(1000):
        wrong = np.sign(X @ w + b) != y
        if not wrong.any():
            break
        i = np.flatnonzero(wrong)[0]
        w, b = w + y[i] * X[i], b + y[i]
    assert np.all(np.sign(X @ w + b) == y)
    np.testing.assert_array_equal(X, make_separable()[0])
