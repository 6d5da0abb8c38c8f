"""``tinygrad_sgd.save(obj, path)`` / ``tinygrad_sgd.load(path)``: checkpoints in torch's own
format.

What a file holds
-----------------
``save`` writes the zip archive that torch 2.x's ``torch.save`` writes
(:mod:`.serialization_torch`): real PyTorch's ``torch.load`` reads it, ``weights_only=True``
(its default) included, when it holds weights — nested dicts (string or integer keys;
OrderedDicts, with a state_dict's ``_metadata``, and Counters kept), lists, tuples and sets of
tensors (our Tensors, torch tensors: saved as torch tensors), numbers, strings, bytes,
booleans, None, dtypes, devices and Sizes; Parameters as Parameters, views of one array over
one storage. Any other picklable object — a whole model, an optimizer, an
``argparse.Namespace``, a dict holding them — is pickled whole, as ``torch.save`` pickles it,
its tensors still in the archive's ``data/`` entries (:mod:`.serialization_objects`).

NumPy's arrays and scalars (``np.ones(3)``, ``np.float64(0.9)``, ``np.int64(3)``,
``np.bool_(True)``) are pickled as NumPy pickles them, as ``torch.save`` does — not as tensors,
not as Python numbers: torch's ``torch.load`` and ours then refuse them by default
(``weights_only=True``: "Unsupported global: GLOBAL numpy._core.multiarray.scalar"), allow them
where ``add_safe_globals`` names NumPy's globals (``numpy._core.multiarray.scalar``,
``numpy.dtype`` and the dtype's class, ``numpy.dtypes.Float64DType``; for arrays
``numpy._core.multiarray._reconstruct`` and ``numpy.ndarray`` too), and give them back as
NumPy's own with ``weights_only=False``: ``type(ckpt["best_acc"])`` is ``numpy.float64``, as
in torch. Enum members (``IntEnum`` and ``str`` Enums too, as dict keys or values) are
pickled with their class by reference, as ``torch.save`` pickles them: ``weights_only=True``
refuses them unless ``add_safe_globals``/``safe_globals`` name the class, and
``weights_only=False`` gives back the members — never a plain ``int`` or ``str``.

``load`` reads those files and what ``torch.save`` wrote. By default (``weights_only=True``,
as torch's) it builds only what a checkpoint of weights holds, so loading a file can't run
code: a pickled model is refused with torch's "Weights only load failed" — unless its classes
were marked safe (``add_safe_globals``, ``safe_globals``). ``weights_only=False`` unpickles
everything (files you trust only), torch's classes as the library's where they keep the same
attributes. It also reads the ``.npz`` checkpoints earlier versions of the library wrote: one
entry per array and one entry ``__tinygrad_sgd__``, a small JSON document of the structure.

Safe writing
------------
``save`` writes to a temporary file in the target's directory, flushes it to disk, and only
then renames it over the target with ``os.replace`` (atomic on POSIX and Windows). A crash or
an error while writing (an object pickle cannot pickle, say) leaves the previous checkpoint
untouched and removes the temporary file.
"""
import json
import os
import pickle
import tempfile
from collections import Counter, OrderedDict, defaultdict
from enum import Enum

import numpy as np

from . import serialization_objects as _objects
from . import serialization_torch as _torch_format
from .serialization_objects import (add_safe_globals, clear_safe_globals,  # noqa: F401
                                    get_safe_globals, get_unsafe_globals_in_checkpoint,
                                    safe_globals)
from .dtypes import DType
from .nn.module import Parameter
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint"]

MANIFEST = "__tinygrad_sgd__"
FORMAT = "tinygrad_sgd-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that :func:`load` can't read as a checkpoint (the message names the file)."""


# ----------------------------------------------------------------------------- encoding
def _array_of(value):
    """The ndarray behind a tensor (our Tensor, a torch tensor), or None. (A NumPy array is
    not a tensor: it is pickled as NumPy pickles it, as torch.save does.)"""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.ndarray):
        return None
    if all(callable(getattr(value, m, None)) for m in ("detach", "cpu", "numpy")):
        return np.asarray(value.detach().cpu().numpy())  # a torch tensor, without importing torch
    return None


def _checked(value, path):
    """``value`` as it will be pickled: dicts (OrderedDicts with a state_dict's ``_metadata``,
    and Counters, kept), lists, tuples and sets of what a checkpoint may hold — tensors (our
    Tensors and Parameters, torch tensors, written as torch tensors), numbers (complex too),
    strings, bytes, booleans, None, dtypes, devices, Sizes and ``strided`` (what torch's
    ``torch.load(weights_only=True)`` reads) — and NumPy arrays and scalars, kept as they are
    (as key too): pickled by NumPy, as torch.save pickles them, so that torch's
    ``weights_only=True`` refuses them and ``weights_only=False`` gives them back as NumPy's;
    anything else refused, naming where it is. A subclass of a plain type or an Enum member
    (``IntEnum`` keys and values too) is kept as it is: pickled with its class by reference,
    as ``torch.save`` pickles it, so that ``weights_only=True`` refuses it (unless the class is
    allowlisted) and ``weights_only=False`` gives it back, never as a plain int or str."""
    from .device import device
    from .memory_layout import layout
    from .size import Size
    where = "/".join(path) or "<root>"
    if isinstance(value, (np.ndarray, np.generic)):
        return value                     # (NumPy's own pickle, as torch.save writes it)
    arr = _array_of(value)
    if arr is not None:
        if not _torch_format.can_save(arr.dtype):
            raise TypeError(f"save: the array at {where} has dtype {arr.dtype}; only bool, "
                            f"integer and float arrays can be saved")
        return value
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int, np.integer, Enum)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} "
                                f"key {k!r} at {where}")
            items.append((k, _checked(v, path + [str(k)])))     # (an IntEnum key kept)
        if isinstance(value, Counter):       # (a MultiStepLR's milestones)
            return Counter(dict(items))
        if isinstance(value, defaultdict):   # as torch: kept, its factory pickled by name
            return defaultdict(value.default_factory, items)   # (weights_only=False reads it)
        if not isinstance(value, OrderedDict):
            return dict(items)
        out = OrderedDict(items)
        if isinstance(getattr(value, "_metadata", None), dict):    # a state_dict's versions
            out._metadata = _checked(value._metadata, path + ["_metadata"])
        return out
    if isinstance(value, (Size, DType, device, layout)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_checked(v, path + [str(i)]) for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, set):
        return {_checked(v, path + [str(v)]) for v in value}
    if value is None or isinstance(value, _PLAIN + (Enum,)):
        return value     # (a subclass, an Enum member: pickled with its class, as torch's)
    raise TypeError(f"save: cannot save a {type(value).__name__} (at {where}); a checkpoint "
                    f"holds dicts, lists, tuples, sets, arrays/Tensors, numbers, strings, "
                    f"bytes, booleans, None, dtypes and devices")


_PLAIN = (bool, int, float, complex, str, bytes, bytearray)


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
    """Save ``obj`` to ``f`` (a path, written atomically; or a writable binary file object)
    in **torch's own format**: the zip archive torch 2.x's ``torch.save`` writes.

    A checkpoint of weights — a state_dict (its ``_metadata`` kept), an optimizer's or a
    scheduler's state_dict, or any nesting of dicts, lists, tuples and sets holding tensors
    (our Tensors, torch tensors), numbers, strings, bytes, booleans, None, dtypes, devices and
    Sizes — is what PyTorch's ``torch.load`` reads (``weights_only=True`` included): tensors
    as torch tensors, Parameters as Parameters, views of one array sharing one storage
    (:mod:`.serialization_torch`). NumPy arrays and scalars are pickled by NumPy, as torch
    pickles them: ``load(PATH, weights_only=False)`` gives them back (``numpy.float64``,
    ``numpy.ndarray``), ``weights_only=True`` refuses them, in torch as here. Any other
    picklable object (``save(model, PATH)``, an optimizer, a dict holding them) is pickled
    whole, as torch pickles it (:mod:`.serialization_objects`): ``load(PATH,
    weights_only=False)`` gives it back; pickle's ``PicklingError`` for what cannot be pickled
    (a lambda). The file name is used as given (no extension is added); the archive's folder
    is named as torch names it.
    torch's other arguments choose how it pickles: they are taken, and change nothing here
    (``_use_new_zipfile_serialization=False`` too writes the zip format)."""
    try:
        obj = _checked(obj, [])
    except TypeError:
        pass                # more than weights: pickled whole, as torch.save pickles it
    if hasattr(f, "write"):
        _torch_format.save_torch_checkpoint(obj, f, "archive")
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
            _torch_format.save_torch_checkpoint(obj, out, _torch_format.archive_name(path))
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
    """Load what :func:`save` wrote, or ``torch.save`` (its zip format, torch ≥ 1.6). Arrays
    come back as **our Tensors** (dtype as saved; Parameters as Parameters, ``requires_grad``
    as saved; a tensor saved twice as one object; views of one tensor sharing memory, as
    torch's — in an old ``.npz`` checkpoint, as separate copies), ready for
    ``model.load_state_dict`` or ``optimizer.load_state_dict``; dict keys, lists, tuples and
    plain values as saved (dtypes, devices and Sizes as ours).

    ``weights_only`` — as torch's: by default (True; False when a ``pickle_module`` is given;
    the ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` / ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` environment
    variables force it) only what a checkpoint of weights holds is built, and the globals
    marked safe (:func:`add_safe_globals`); a pickled model or object (an Enum member too)
    raises ``pickle.UnpicklingError`` itself — that class exactly, as torch's, not a
    ``ValueError`` —, a first line naming the file and the global, then torch's message word
    for word. ``weights_only=False`` unpickles everything (a whole model, optimizer, ...:
    **it runs the code the file names**, only for files you trust), torch's classes as the
    library's (:mod:`.serialization_objects`).
    ``map_location`` — ``None``, ``"cpu"``, a CPU device, a dict of locations or a function
    ``(tensor, "cpu") -> tensor or None`` as torch's is called (every checkpoint here is on
    the CPU; another device raises torch's CPU-only error; the function is applied to the
    tensors in dicts, lists and tuples); ``mmap`` — the arrays are read into memory;
    ``pickle_module`` and ``pickle_load_args`` — taken, not used.

    Raises ``FileNotFoundError`` for a missing file and :class:`CheckpointError` (a
    ``ValueError``) naming the file when it is neither a checkpoint written by :func:`save`
    nor a torch checkpoint (random bytes, a truncated file, another program's ``.npz``,
    torch's pre-1.6 format); with ``weights_only=False`` a class the file names that can't be
    imported raises the ``ImportError`` / ``AttributeError`` pickle raises, as torch."""
    weights_only = _objects.weights_only_choice(weights_only, pickle_module)
    place = _placement(map_location)
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    name = str(name) if name is not None else "<file object>"
    if not hasattr(f, "read") and not os.path.exists(f):
        raise FileNotFoundError(f"tinygrad_sgd.load: no such file: {name}")
    if _torch_format.is_torch_checkpoint(f):
        reader = _objects.unpickler(weights_only)
        refused = None
        try:
            loaded = _torch_format.load_torch_checkpoint(f, name, _location_check(map_location),
                                                         reader)
        except (CheckpointError, RuntimeError, FileNotFoundError, PermissionError):
            raise
        except _objects.Refused as e:   # (as torch.load re-raises its weights-only unpickler's:
            refused = str(e)            # raised below, so that the unpickler's frames, and the
        except (ImportError, AttributeError) if not weights_only else ():
            raise           # (a class the file names that this program can't import)
        except Exception as e:  # a damaged archive, a pickle cut short, ...
            raise CheckpointError(f"{name} is not a valid torch checkpoint (corrupt, truncated "
                                  f"or of another kind): {type(e).__name__}: {e}") from e
        if refused is not None:         # archive member they read, are let go of at once)
            raise pickle.UnpicklingError(refused)
        return loaded if place is None else _placed(loaded, place)
    if _torch_format.starts_as_a_pickle(f):
        raise CheckpointError(f"{name} is a pickle — torch.save's format before torch 1.6 "
                              f"(_use_new_zipfile_serialization=False), or another pickled "
                              f"file —, which tinygrad_sgd.load does not read (unpickling can "
                              f"run code): load it with torch and save it again in torch's "
                              f"zip format (its default)")
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
                    f"the {MANIFEST!r} entry (entries: {shown}): a plain .npz is read with "
                    f"numpy.load")
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
        raise _cuda_error()
    if kind not in (None, "cpu"):
        raise RuntimeError(f"map_location {target!r}: tinygrad_sgd's tensors live on the CPU "
                           f"only")
    return None                          # the CPU: every tensor as loaded


def _cuda_error():
    return RuntimeError("Attempting to deserialize object on a CUDA device but "
                        "tinygrad_sgd.cuda.is_available() is False. If you are running on a "
                        "CPU-only machine, please use tinygrad_sgd.load with "
                        "map_location=tinygrad_sgd.device('cpu') to map your storages to the CPU.")


def _location_check(map_location):
    """A function of a storage's saved location ("cuda:0") that raises torch's error where
    ``map_location`` (None, or a dict from saved locations to others) leaves it off the CPU; a
    device or a function given puts every storage on the CPU (checked by :func:`_placement`)."""
    if map_location is not None and not isinstance(map_location, dict):
        return None

    def check(location):
        target = location if map_location is None else map_location.get(location, location)
        kind = getattr(target, "type", None) or str(target).partition(":")[0]
        if kind == "cuda":
            raise _cuda_error()
        if kind != "cpu":
            raise RuntimeError(f"a tensor saved on {location!r} (mapped to {target!r}): "
                               f"tinygrad_sgd's tensors live on the CPU only")
    return check


def _placed(value, place, done=None):
    """``value`` with ``place`` applied to every Tensor in it (dicts — OrderedDicts with their
    ``_metadata`` and Counters kept —, lists, tuples); a Tensor found twice is placed once."""
    done = {} if done is None else done
    if isinstance(value, Tensor):
        if id(value) not in done:
            done[id(value)] = (value, place(value))
        return done[id(value)][1]
    if isinstance(value, dict):
        out = type(value)() if type(value) in (dict, OrderedDict, Counter) else \
            defaultdict(value.default_factory) if type(value) is defaultdict else {}
        out.update((k, _placed(v, place, done)) for k, v in value.items())
        if hasattr(value, "_metadata"):
            out._metadata = value._metadata
        return out
    if type(value) in (list, tuple):
        return type(value)(_placed(v, place, done) for v in value)
    return value
