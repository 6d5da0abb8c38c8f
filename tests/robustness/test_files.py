"""Checkpoints and data files: a killed ``save`` never leaves a corrupt checkpoint; a bad data
file is refused with its name; a file whose checksum does not match is never used.

Already tested elsewhere (not repeated): tests/test_serialization.py (a failing rename and a
crash while writing keep the old file and leave no temporary file; random, truncated,
bit-flipped and foreign files raise an error naming the file); tests/test_data.py (truncated,
overlong, wrong-magic, wrong-type, corrupt-gzip IDX files; checksum mismatches of local files
and of downloads).
"""
import gzip
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import urllib.error

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import serialization
from tinygrad_sgd.data import MNIST, ChecksumError, IDXError
from tinygrad_sgd.data import mnist as mnist_module


def listing(directory):
    return sorted(os.listdir(directory))


# ============================================================================ checkpoints
SAVER = r"""
import os, sys
import numpy as np
import tinygrad_sgd as tg
path, mode = sys.argv[1], sys.argv[2]
if mode == "die-before-rename":             # written and flushed, then killed before rename
    real = os.replace
    def replace(src, dst):
        assert os.path.getsize(src) > 0
        os.kill(os.getpid(), 9)
    os.replace = replace
    tg.save({"step": 1, "w": tg.full((50_000,), 1.0, dtype=tg.float64)}, path)
else:                                        # save forever; the parent kills us somewhere
    tg.save({"step": 0, "w": tg.full((50_000,), 0.0, dtype=tg.float64)}, path + ".warm")
    os.remove(path + ".warm")                # (a first save, elsewhere: the code paths warm,
    print("ready", flush=True)               # so a save fits between the parent's kills)
    step = 1
    while True:
        tg.save({"step": step, "w": tg.full((50_000,), float(step), dtype=tg.float64)}, path)
        step += 1
"""


def run_saver(path, mode):
    return subprocess.Popen([sys.executable, "-c", SAVER, str(path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_intact(path):
    ck = tg.load(path)
    assert isinstance(ck["step"], int) and ck["step"] >= 0
    np.testing.assert_array_equal(ck["w"].data, float(ck["step"]))
    return ck["step"]


def test_killed_between_write_and_rename_keeps_the_old_checkpoint(tmp_path):
    path = tmp_path / "ck.npz"
    tg.save({"step": 0, "w": tg.full((50_000,), 0.0, dtype=tg.float64)}, path)
    old = path.read_bytes()
    proc = run_saver(path, "die-before-rename")
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    assert path.read_bytes() == old and assert_intact(path) == 0
    leftovers = [n for n in listing(tmp_path) if n != "ck.npz"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ck.npz.")  # a hidden temp file


def test_killed_at_random_moments_while_saving_never_corrupts(tmp_path):
    path = tmp_path / "ck.npz"
    tg.save({"step": 0, "w": tg.full((50_000,), 0.0, dtype=tg.float64)}, path)
    rng = np.random.default_rng(0)
    steps = []
    for _ in range(6):
        proc = run_saver(path, "loop")
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 0.3)))
        proc.kill()
        proc.wait(timeout=60)
        steps.append(assert_intact(path))       # always a whole checkpoint, old or new
    assert steps[-1] > 0, steps                 # (and saving did happen)
    # kills landed inside save(): their temporary files are left (hidden, never loaded)
    assert [n for n in listing(tmp_path) if n != "ck.npz"], "no kill hit a save"


def test_interrupt_at_rename_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    tg.save({"w": tg.ones(3)}, path)
    old = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"w": tg.zeros(3)}, path)
    assert path.read_bytes() == old and listing(tmp_path) == ["ck.npz"]


def test_data_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"),
                                                     real_replace(a, b)))
    tg.save({"w": tg.ones(3)}, tmp_path / "ck.npz")
    assert events == ["fsync", "replace"]


def test_a_checkpoint_cut_anywhere_is_refused_naming_the_file(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": tg.arange(300.0), "lr": 0.1}, good)
    data = good.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 40)):
        bad = tmp_path / f"cut-{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(serialization.CheckpointError, match=f"cut-{cut}.npz"):
            tg.load(bad)


# ============================================================================ data files
def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def tiny_mnist(monkeypatch, tmp_path):
    """A 5-image MNIST test split in tmp_path/mnist, its md5s registered as the good ones."""
    monkeypatch.delenv("TINYGRAD_SGD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "mnist"
    root.mkdir()
    images = np.arange(5 * 28 * 28).reshape(5, 28, 28) % 256
    files = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.arange(5)))}
    for name, data in files.items():
        (root / name).write_bytes(data)
        monkeypatch.setitem(MNIST.md5s, name, (md5(data),))
    return root


def test_checksums_are_checked_every_time_not_once(tiny_mnist):
    first = MNIST(root=tiny_mnist, train=False, download=False)
    assert len(first) == 5
    labels = tiny_mnist / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(labels.read_bytes())
    data[-9] ^= 0x40                            # damaged after a successful use
    labels.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=str(labels)):
        MNIST(root=tiny_mnist, train=False, download=False)


def test_a_bad_file_with_a_matching_checksum_is_still_refused(tiny_mnist, monkeypatch):
    # the IDX checks are a second line of defence (e.g. for a wrong checksum table)
    images = tiny_mnist / "t10k-images-idx3-ubyte.gz"
    cut = gzip.compress(gzip.decompress(images.read_bytes())[:-100])
    images.write_bytes(cut)
    monkeypatch.setitem(MNIST.md5s, images.name, (md5(cut),))
    with pytest.raises(IDXError, match=f"{images}: truncated"):
        MNIST(root=tiny_mnist, train=False, download=False)


def test_images_and_labels_that_disagree_are_refused_naming_both(tiny_mnist, monkeypatch):
    labels = tiny_mnist / "t10k-labels-idx1-ubyte.gz"
    four = gzip.compress(idx_bytes(np.arange(4)))
    labels.write_bytes(four)
    monkeypatch.setitem(MNIST.md5s, labels.name, (md5(four),))
    with pytest.raises(IDXError) as info:
        MNIST(root=tiny_mnist, train=False, download=False)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value) and labels.name in str(info.value)
    assert "(5, 28, 28) and (4,)" in str(info.value)


def test_a_download_cut_midway_leaves_nothing_behind(tiny_mnist, monkeypatch, tmp_path):
    good = (tiny_mnist / "t10k-images-idx3-ubyte.gz").read_bytes()
    for p in tiny_mnist.iterdir():
        p.unlink()

    class Dying(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > len(good) // 2:
                raise urllib.error.URLError("connection reset")
            return super().read(min(n, 64))

    monkeypatch.setattr(mnist_module, "urlopen", lambda url, timeout: Dying(good))
    with pytest.raises(FileNotFoundError, match="connection reset"):
        MNIST(root=tiny_mnist, train=False)
    assert listing(tiny_mnist) == ["mnist"]     # the download folder was made ...
    assert listing(tiny_mnist / "mnist") == []  # ... and holds no partial or temp file
