"""MNIST and Fashion-MNIST: find the IDX files, verify their MD5, download them if missing.

Files are looked for, in order, in

1. ``root`` (if given),
2. ``$TINYGRAD_SGD_DATA`` (if set),
3. ``~/.cache/tinygrad_sgd``,
4. for Fashion-MNIST, Debian's ``/usr/share/datasets/fashion-mnist``
   (``apt-get install dataset-fashion-mnist``),

each directly and in a subfolder named ``mnist`` / ``fashion-mnist``. Every file's MD5 must be
one of the published sums; a mismatch is an error, never silently used. A missing file is
downloaded from the public mirrors into the first of ``root``, ``$TINYGRAD_SGD_DATA``,
``~/.cache/tinygrad_sgd`` (in its ``mnist`` / ``fashion-mnist`` subfolder).

Images are normalised as in the PyTorch MNIST tutorial: ``(x/255 - 0.5) / 0.5``, in [-1, 1].
"""

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from .idx import IDXError, read_idx

__all__ = ["MNIST", "FashionMNIST", "ChecksumError", "download_file", "md5sum", "ENV_VAR"]

ENV_VAR = "TINYGRAD_SGD_DATA"
CACHE_DIR = Path("~/.cache/tinygrad_sgd")
TIMEOUT_S = 10

# How files are fetched; tests replace this with a fake (monkeypatch).
urlopen = urllib.request.urlopen


class ChecksumError(ValueError):
    """A data file's MD5 is not one of the known-good sums."""


def md5sum(path) -> str:
    """The MD5 of a file, as a hex string (read in 1 MiB chunks)."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_file(urls, dest, md5s, opener=None, timeout=TIMEOUT_S):
    """Download ``dest.name`` from the first mirror in ``urls`` that works; return ``dest``.

    Each URL is a directory (ending in '/'); the file name is appended. The data goes to a
    temporary file next to ``dest``, is checked against ``md5s`` (a tuple of known-good sums)
    and only then renamed to ``dest``, so an interrupted or corrupt download never leaves a
    file behind. ``opener(url, timeout=...)`` defaults to ``urllib.request.urlopen``.
    Raises ``FileNotFoundError`` listing every mirror and why it failed.
    """
    opener = opener or urlopen
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        os.close(fd)
    except OSError as e:
        raise FileNotFoundError(f"could not download {dest.name}: cannot write to "
                                f"{dest.parent}: {e}") from None

    failures = []
    try:
        for base in urls:
            url = base + dest.name
            try:
                got_md5 = _fetch(opener, url, tmp, timeout)
            except (urllib.error.URLError, OSError, ValueError) as e:  # offline, 404, timeout
                failures.append(f"{url}: {getattr(e, 'reason', None) or e}")
                continue
            if got_md5 in md5s:
                os.chmod(tmp, 0o644)  # mkstemp made it private; a data file is not secret
                os.replace(tmp, dest)
                return dest
            failures.append(f"{url}: checksum mismatch: expected md5 {' or '.join(md5s)}, "
                            f"got {got_md5} (discarded)")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    raise FileNotFoundError(f"could not download {dest.name}:\n    " + "\n    ".join(failures))


def _fetch(opener, url, tmp, timeout):
    """Stream ``url`` into the file ``tmp`` (with a progress bar); return the data's MD5."""
    h = hashlib.md5(usedforsecurity=False)
    with open(tmp, "wb") as out, opener(url, timeout=timeout) as response:
        total = int(getattr(response, "headers", {}).get("Content-Length") or 0) or None
        bar = _progress_bar(total, os.path.basename(url))
        try:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                h.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    return h.hexdigest()


def _progress_bar(total, name):
    """A tqdm byte counter, or None when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                leave=False)


class _IDXDataset:
    """A pair of IDX files (images, labels) found on disk or downloaded; see the module doc."""

    name = ""             # e.g. "MNIST", used in messages
    subdir = ""           # subfolder looked in inside each data directory
    mirrors = []          # base URLs, tried in order
    system_dirs = []      # extra read-only places (a Debian package)
    install_hint = ""     # extra line for the "not found" message
    classes = []
    files = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    md5s = {}             # file name -> tuple of known-good md5 sums

    def __init__(self, root=None, train=True, download=True, transform=None,
                 target_transform=None):
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.root = Path(root).expanduser() if root is not None else None
        images, labels = self._load(download)

        # (x/255 - 0.5) / 0.5, in place in float32 to avoid big temporaries
        data = images.astype(np.float32)[:, None, :, :]
        data /= 255
        data -= 0.5
        data /= 0.5
        self.data = data
        self.targets = labels.astype(np.int64)

    # ---- dataset protocol ----
    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        """``ds[i]`` -> (1x28x28 float32 image, int label); ``ds[slice or index array]`` ->
        (Nx1x28x28 images, N int64 labels). With ``transform`` / ``target_transform`` the
        image / label of each item goes through it (``ds[indices]`` then stacks the items'
        results with ``np.stack``)."""
        if isinstance(index, (int, np.integer)):
            return self._transformed(self.data[index], int(self.targets[index]))
        if self.transform is None and self.target_transform is None:
            return self.data[index], self.targets[index]
        items = [self[int(i)] for i in np.arange(len(self))[index]]
        return tuple(np.stack([np.asarray(getattr(v, "array", v)) for v in field])
                     for field in zip(*items))

    def _transformed(self, image, label):
        """One item through ``transform`` / ``target_transform`` (where given)."""
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, n={len(self)}, source={self.source!r})"

    # ---- finding the files ----
    def search_dirs(self):
        """The directories searched, in order, as (path, why it is searched) pairs."""
        dirs = []
        if self.root is not None:
            dirs.append((self.root, "root="))
        if os.environ.get(ENV_VAR):
            dirs.append((Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"))
        dirs.append((CACHE_DIR.expanduser(), "cache"))
        dirs.extend((Path(d), "system") for d in self.system_dirs)
        return dirs

    def _candidates(self, filename):
        """Every path the file may be at, in search order; the uncompressed name is tried
        only when its MD5 is known."""
        names = [filename]
        if filename.removesuffix(".gz") in self.md5s:
            names.append(filename.removesuffix(".gz"))
        for d, _ in self.search_dirs():
            for folder in (d, d / self.subdir):
                for n in names:
                    yield folder / n

    def _load(self, download):
        """Find (or download) this split's two files and read them: (images, labels), as
        read from disk; sets ``.source`` to the folder(s) they came from."""
        image_file, label_file = self.files[self.train]
        image_path = self._find_or_download(image_file, download)
        label_path = self._find_or_download(label_file, download)
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise IDXError(f"{image_path}, {label_path}: expected N images of HxW and N labels, "
                           f"got shapes {images.shape} and {labels.shape}")
        folders = dict.fromkeys(str(p.parent) for p in (image_path, label_path))
        self.source = " and ".join(folders)
        return images, labels

    def _find_or_download(self, filename, download):
        for path in self._candidates(filename):
            if path.is_file():
                self._verify(path)
                return path

        failure = "download=False was given"
        if download:
            try:
                dest = self._download_folder() / filename
                return download_file(self.mirrors, dest, self.md5s[filename])
            except FileNotFoundError as e:
                failure = str(e)
        raise self._not_found_error(filename, failure)

    def _download_folder(self):
        """Where a missing file is downloaded to (FileNotFoundError, with the reason, when
        there is nowhere)."""
        return self.search_dirs()[0][0] / self.subdir

    def _not_found_error(self, filename, failure):
        return FileNotFoundError(self._not_found_message(filename, failure))

    def _verify(self, path):
        known = self.md5s[path.name]
        actual = md5sum(path)
        if actual not in known:
            raise ChecksumError(
                f"{path}: checksum mismatch: expected md5 {' or '.join(known)}, got {actual}. "
                f"The file is corrupt or not the published {self.name} file; delete it or "
                f"replace it with a good copy.")

    def _not_found_message(self, filename, failure):
        split = "training" if self.train else "test"
        lines = [f"{self.name} {split} split: {filename} not found. Searched:"]
        for d, why in self.search_dirs():
            lines.append(f"  {d}  and  {d / self.subdir}  ({why})")
        lines.append(f"Not downloaded: {failure}")
        lines.append(f"To provide it, put {filename} (from {self.mirrors[0]}{filename}) in "
                     f"one of those folders, e.g. set {ENV_VAR}=/path/to/data (files in "
                     f"/path/to/data/{self.subdir}/) or pass {type(self).__name__}(root=...)"
                     f"{self.install_hint}.")
        return "\n".join(lines)


class MNIST(_IDXDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28, 10 classes.

    ``.data``: float32 Nx1x28x28 in [-1, 1]; ``.targets``: int64 N; ``.classes``;
    ``.source``: the folder the files were read from. ``transform`` / ``target_transform``
    (callables) are applied to each item's image / label. (torchvision's version, with uint8
    images: :class:`tinygrad_sgd.vision.datasets.MNIST`.)
    """

    name = "MNIST"
    subdir = "mnist"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    classes = [str(d) for d in range(10)]
    md5s = {
        # the published .gz files (as used by torchvision)
        "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873",),
        "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432",),
        "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3",),
        "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c",),
        # the same files uncompressed (gunzip), as published by many MNIST loaders
        "train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb",),
        "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624",),
        "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea",),
        "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637",),
    }


class FashionMNIST(_IDXDataset):
    """Zalando's Fashion-MNIST: the same format and sizes as MNIST, 10 kinds of clothing.

    Also found in ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
    """

    name = "Fashion-MNIST"
    subdir = "fashion-mnist"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    system_dirs = ["/usr/share/datasets/fashion-mnist"]
    install_hint = ", or install Debian's copy: apt-get install dataset-fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    md5s = {
        # Each .gz has two good sums: the one Zalando published, and Debian's. Debian's package
        # dataset-fashion-mnist recompressed the files, so the .gz bytes (and md5) differ,
        # but they decompress to exactly the published data (same md5s as below).
        "train-images-idx3-ubyte.gz": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                       "cf8536b0aa1a6ac5fa3f23001093305c"),
        "train-labels-idx1-ubyte.gz": ("25c81989df183df01b3e8a0aad5dffbe",
                                       "10bea18fdb374794d4bb42e356e600c9"),
        "t10k-images-idx3-ubyte.gz": ("bef4ecab320f06d8554ea6380940ec79",
                                      "f78720b4224f21cce2f2ccf2d7a94c9a"),
        "t10k-labels-idx1-ubyte.gz": ("bb300cfdad3c16e7a12a480ee83cd310",
                                      "0d30e22e447f3c33dab9ed536400ac01"),
        # uncompressed (as published by torchvision's FashionMNIST and others)
        "train-images-idx3-ubyte": ("f4a8712d7a061bf5bd6d2ca38dc4d50a",),
        "train-labels-idx1-ubyte": ("9018921c3c673c538a1fc5bad174d6f9",),
        "t10k-images-idx3-ubyte": ("8181f5470baa50b63fa0f6fddb340f0a",),
        "t10k-labels-idx1-ubyte": ("15d484375f8d13e6eb1aabb0c3f46965",),
    }
