"""``tinygrad_sgd.save(obj, path)`` / ``tinygrad_sgd.load(path)``: checkpoints as NumPy ``.npz``.

What a file holds
-----------------
A plain ``.npz`` archive (readable with ``numpy.load`` alone), with

* one entry per array, named by its path in ``obj`` joined with ``/`` —
  ``conv1.weight`` for a model's state_dict, ``state/0/momentum_buffer`` for an optimizer's;
* one entry ``__tinygrad_sgd__``: a small JSON document (stored as bytes) that records the
  structure — nested dicts (string or integer keys, order kept), lists, tuples, and the
  non-array values (numbers, strings, booleans, None) such as learning rates — and which
  entry holds each array.

Nothing is pickled, so loading a file can't run code.

Safe writing
------------
``save`` writes to a temporary file in the target's directory, flushes it to disk, and only
then renames it over the target with ``os.replace`` (atomic on POSIX and Windows). A crash or
an error while writing leaves the previous checkpoint untouched and removes the temporary file.
"""
import json
import os
import pickle
import tempfile
from collections import OrderedDict

import numpy as np

from .nn.module import Parameter
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

MANIFEST = "__tinygrad_sgd__"
FORMAT = "tinygrad_sgd-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that :func:`load` can't read as a checkpoint (the message names the file)."""


# ----------------------------------------------------------------------------- encoding
def _array_of(value):
    """The ndarray behind an array-like leaf (our Tensor, ndarray, torch tensor), or None."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.ndarray):
        return value
    if all(callable(getattr(value, m, None)) for m in ("detach", "cpu", "numpy")):
        return np.asarray(value.detach().cpu().numpy())  # a torch tensor, without importing torch
    return None


def _encode(value, path, arrays, seen=None):
    """JSON-able description of ``value``; arrays are moved into ``arrays`` (name → ndarray).
    A tensor met twice is stored once (``seen``: id → its node), and loads as one object, as
    torch's; a Parameter and ``requires_grad`` are recorded (``"parameter"``,
    ``"requires_grad"``), an OrderedDict as such."""
    seen = {} if seen is None else seen
    if id(value) in seen:
        return seen[id(value)]
    arr = _array_of(value)
    if arr is not None:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: the array at {'/'.join(path) or '<root>'} has dtype "
                            f"{arr.dtype}; only bool, integer and float arrays can be saved")
        name = "/".join(path) or "<root>"
        while name in arrays or name == MANIFEST:
            name += "_"
        arrays[name] = arr
        node = {"array": name}
        if isinstance(value, Tensor) and value.requires_grad:
            node["requires_grad"] = True
        if type(value).__name__ == "Parameter":
            node["parameter"] = True
        seen[id(value)] = node
        return node
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int, np.integer)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} "
                                f"key {k!r} at {'/'.join(path) or '<root>'}")
            k = k if isinstance(k, str) else int(k)
            items.append([k, _encode(v, path + [str(k)], arrays, seen)])
        return {"ordered_dict" if isinstance(value, OrderedDict) else "dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, path + [str(i)], arrays, seen) for i, v in enumerate(value)]}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"save: cannot save a {type(value).__name__} (at "
                    f"{'/'.join(path) or '<root>'}); a checkpoint holds dicts, lists, tuples, "
                    f"arrays/Tensors, numbers, strings, booleans and None")


def _decode(node, npz, where, loaded=None):
    """The value a manifest ``node`` describes (``loaded``: array name → the Tensor made of
    it, so that a tensor saved twice loads as one object)."""
    loaded = {} if loaded is None else loaded
    if isinstance(node, dict) and "array" in node and set(node) <= {
            "array", "requires_grad", "parameter"}:
        body = node["array"]
        if body not in npz.files:
            raise CheckpointError(f"{where}: the manifest names an array {body!r} the file "
                                  f"lacks")
        if body not in loaded:
            t = Tensor._of(npz[body])
            if node.get("parameter"):
                t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
            elif node.get("requires_grad"):
                t.requires_grad_(True)
            loaded[body] = t
        return loaded[body]
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"{where}: malformed manifest entry {node!r:.80}")
    (kind, body), = node.items()
    if kind in ("dict", "ordered_dict"):
        pairs = ((k, _decode(v, npz, where, loaded)) for k, v in body)
        return OrderedDict(pairs) if kind == "ordered_dict" else dict(pairs)
    if kind == "list":
        return [_decode(v, npz, where, loaded) for v in body]
    if kind == "tuple":
        return tuple(_decode(v, npz, where, loaded) for v in body)
    if kind == "value":
        return body
    raise CheckpointError(f"{where}: unknown manifest entry kind {kind!r}")


# ----------------------------------------------------------------------------- save / load
class MissingDirectoryError(FileNotFoundError, RuntimeError):
    """Saving into a folder that does not exist (torch: RuntimeError; Python: FileNotFoundError)."""


def save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` — a state_dict, an optimizer's state_dict, or any nesting of dicts, lists
    and tuples holding arrays (our Tensors, NumPy arrays, torch tensors), numbers, strings,
    booleans and None — to ``f`` (a path, written atomically; or a writable binary file
    object). The file name is used as given (no extension is added). torch's other arguments
    choose how it pickles: they are taken, and change nothing here (nothing is pickled)."""
    arrays = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, [], arrays)}
    payload = dict(arrays)
    payload[MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **payload)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise MissingDirectoryError(f"Parent directory {directory} does not exist.")
    prefix = "." + os.path.basename(path) + "."
    _remove_stale_temporaries(directory, prefix)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_umask())     # mkstemp makes 0600; a file follows the umask
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


STALE_SECONDS = 60


def _remove_stale_temporaries(directory, prefix):
    """A save killed mid-write (SIGKILL: no chance to clean up) leaves its temporary file; the
    next save to the same name removes those older than a minute (a younger one may belong to
    a save still running in another process)."""
    import time
    now = time.time()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp"):
            full = os.path.join(directory, name)
            try:
                if now - os.path.getmtime(full) > STALE_SECONDS:
                    os.unlink(full)
            except OSError:
                pass


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load what :func:`save` wrote. Arrays come back as **our Tensors** (dtype as saved;
    Parameters as Parameters, ``requires_grad`` as saved; a tensor saved twice as one
    object; views of one tensor, though, as separate copies, where torch keeps them sharing
    memory), ready for ``model.load_state_dict`` or
    ``optimizer.load_state_dict``; dict keys, lists, tuples and plain values as saved.

    torch's arguments: ``map_location`` — ``None``, ``"cpu"``, a CPU device, a dict of
    locations or a function ``(tensor, "cpu") -> tensor or None`` as torch's is called (every
    checkpoint here is on the CPU; another device raises torch's CPU-only error);
    ``weights_only`` — a file here never holds code, so both values load the same;
    ``mmap`` — the arrays are read into memory; ``pickle_module`` and ``pickle_load_args`` —
    nothing is unpickled, they change nothing.

    Raises ``FileNotFoundError`` for a missing file and :class:`CheckpointError` (a
    ``ValueError``) naming the file when it is not a checkpoint written by :func:`save`
    (random bytes, a truncated file, another program's ``.npz``, a ``torch.save`` file)."""
    place = _placement(map_location)
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    name = str(name) if name is not None else "<file object>"
    if not hasattr(f, "read") and not os.path.exists(f):
        raise FileNotFoundError(f"tinygrad_sgd.load: no such file: {name}")
    try:
        npz = np.load(f, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise CheckpointError(f"{name} is not a tinygrad_sgd checkpoint: it is a single "
                                  f"NumPy array (.npy), not an archive written by save()")
        with npz:
            if MANIFEST not in npz.files:
                shown = ", ".join(npz.files[:8]) + (", ..." if len(npz.files) > 8 else "")
                raise CheckpointError(
                    f"{name} is not a tinygrad_sgd checkpoint: it is a zip/.npz archive without "
                    f"the {MANIFEST!r} entry (entries: {shown}). A torch.save file must be "
                    f"read with torch.load; a plain .npz with numpy.load")
            manifest = json.loads(npz[MANIFEST].tobytes().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise CheckpointError(f"{name}: unrecognised manifest (not a tinygrad_sgd "
                                      f"checkpoint)")
            if manifest.get("version") != VERSION:
                raise CheckpointError(f"{name}: checkpoint format version "
                                      f"{manifest.get('version')!r} is not supported (this "
                                      f"library reads version {VERSION})")
            loaded = _decode(manifest.get("root"), npz, name)
    except (CheckpointError, FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as e:  # BadZipFile, EOFError, OSError, JSON errors, ... from a bad file
        raise CheckpointError(f"{name} is not a valid tinygrad_sgd checkpoint (corrupt, "
                              f"truncated or foreign file): {type(e).__name__}: {e}") from e
    return loaded if place is None else _placed(loaded, place)


def _placement(map_location):
    """What torch's ``map_location`` asks of a CPU checkpoint, as a function on each loaded
    Tensor (or torch's error: a CPU-only build cannot put a tensor on another device)."""
    if callable(map_location) and not isinstance(map_location, (str, dict)) and \
            not hasattr(map_location, "type"):
        def place(t):
            moved = map_location(t, "cpu")
            return t if moved is None else moved if isinstance(moved, Tensor) else Tensor._of(
                np.asarray(moved))
        return place
    target = map_location.get("cpu", "cpu") if isinstance(map_location, dict) else map_location
    kind = None if target is None else getattr(target, "type", None) or \
        str(target).partition(":")[0]
    if kind == "cuda":
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "tinygrad_sgd.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use tinygrad_sgd.load with "
                           "map_location=tinygrad_sgd.device('cpu') to map your storages to the "
                           "CPU.")
    if kind not in (None, "cpu"):
        raise RuntimeError(f"map_location {target!r}: tinygrad_sgd's tensors live on the CPU "
                           f"only")
    return None                          # the CPU: every tensor as loaded


def _placed(value, place):
    """``value`` with ``place`` applied to every Tensor in it (dicts, lists, tuples)."""
    if isinstance(value, Tensor):
        return place(value)
    if isinstance(value, dict):
        return {k: _placed(v, place) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_placed(v, place) for v in value)
    return value
