"""``torch.__version__`` and ``torch.version`` for a torch program run by the as_torch runner.

The version is that of the torch whose behaviour this library reproduces and is tested
against, with this library named as the build: ``2.13.0+tinygrad_sgd``. As torch's, it
compares as a version, not as a string — ``torch.__version__ >= "2.4"`` is True (as strings,
"2.13.0" < "2.4") — with strings and tuples: ``torch.__version__ >= (2, 0)``.
``torch.version.cuda`` and ``hip`` are None: there is no GPU build here."""
import re

__all__ = ["TorchVersion", "__version__", "cuda", "hip", "rocm", "xpu", "debug",
           "git_version"]

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:\+([0-9A-Za-z._-]+))?$")


def _key(version):
    """(release padded with zeros, has a local part, the local part): the order of versions
    without pre-/post-releases, as ``packaging.version`` orders them."""
    if isinstance(version, (tuple, list)):
        version = ".".join(str(v) for v in version)
    match = _VERSION.match(str(version).strip())
    if match is None:
        raise ValueError(f"Invalid version: '{version}'")
    release = [int(p) for p in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    local = match.group(2) or ""
    return tuple(release), bool(local), local


class TorchVersion(str):
    """A version string that compares as a version (``"2.13.0" > "2.4"``)."""

    def _compare(self, other, op):
        try:
            theirs = _key(other)
        except (ValueError, TypeError):
            return NotImplemented
        return op(_key(self), theirs)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        result = self._compare(other, lambda a, b: a == b)
        return str.__eq__(self, other) if result is NotImplemented else result

    # (no __ne__: str's, as torch's TorchVersion — so "2.13" != "2.13.0" as strings)
    __hash__ = str.__hash__


__version__ = TorchVersion("2.13.0+tinygrad_sgd")
cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "tinygrad_sgd"
