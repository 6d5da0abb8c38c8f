"""NumPy's scalars and arrays inside a checkpoint, as ``torch.save`` / ``torch.load`` treat
them (torch 2.13, run in each test):

- ``save`` pickles them as NumPy pickles them (``numpy._core.multiarray.scalar``,
  ``numpy._core.multiarray._reconstruct``, ``numpy.dtype``) — not as tensors, not as Python
  numbers —, so the pickle names the globals torch's names, and each library reads the other's
  file as it reads its own;
- ``load`` with the default ``weights_only=True`` refuses them with torch's
  ``UnpicklingError`` and torch's message word for word (after a first line naming the file);
- ``add_safe_globals`` / ``safe_globals`` let them through exactly where torch's do (NumPy's
  function, ``numpy.dtype`` *and* the dtype's class, ``numpy.ndarray`` for arrays; a file of
  NumPy 1's ``numpy.core`` names not matched by NumPy 2's objects), else torch's error;
- ``weights_only=False`` gives back NumPy objects of torch's types, values and layouts;
- a training script's ``{"model": ..., "best_acc": np.float64(...), "epoch": 3}``.
"""
import pickle
import pickletools
import zipfile

import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")

SCALAR, RECONSTRUCT = np._core.multiarray.scalar, np._core.multiarray._reconstruct
D = np.dtypes

VALUES = {  # name → the object saved (made fresh for each library)
    "float64": lambda: np.float64(0.9), "float32": lambda: np.float32(0.1),
    "float16": lambda: np.float16(1.5), "int64": lambda: np.int64(3),
    "int32": lambda: np.int32(-2), "int16": lambda: np.int16(300), "int8": lambda: np.int8(-7),
    "uint8": lambda: np.uint8(255), "uint16": lambda: np.uint16(4), "uint32": lambda: np.uint32(5),
    "uint64": lambda: np.uint64(2**64 - 1), "bool": lambda: np.bool_(True),
    "complex128": lambda: np.complex128(1 - 2j), "nan": lambda: np.float64("nan"),
    "negative_zero": lambda: np.float32(-0.0), "str_": lambda: np.str_("ab"),
    "array": lambda: np.arange(6.0), "array_fortran": lambda: np.arange(6, dtype=np.int32)
    .reshape(2, 3).T, "array_0d": lambda: np.array(2.5, np.float32),
    "array_empty": lambda: np.zeros((0, 3), np.int64), "array_bool": lambda: np.array([True]),
    "array_half": lambda: np.ones(3, np.float16), "array_str": lambda: np.array(["a", "bc"]),
    "array_view": lambda: np.arange(12.0).reshape(3, 4)[::-1, ::2],
    "array_broadcast": lambda: np.broadcast_to(np.arange(3.0), (2, 3)),
    "key": lambda: {np.int64(3): "three"},
    "mixed": lambda: {"acc": np.float64(0.75), "epoch": 3, "w": [np.float32(1.0), 2.0]},
}


def _save(lib, obj, path):
    lib.save({"x": obj}, path)
    return path


def _outcome(lib, path, **kwargs):
    """("ok", value) or (error class kind, torch's part of the message)."""
    try:
        return "ok", lib.load(path, **kwargs)["x"]
    except pickle.UnpicklingError as e:
        text = str(e)
        if lib is tg:                                   # ours: the file's name first
            assert text.startswith(f"{path}: "), text
            first, _, rest = text.partition("\n")
            text = rest if " the checkpoint holds " in first else text[len(f"{path}: "):]
        return "UnpicklingError", text


def _same(a, b):
    """Equal values of the same type (NumPy's dtype, shape, strides and bytes for arrays)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b) and all(type(k) is type(j) for k, j in zip(a, b))
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape, a.strides) == (b.dtype, b.shape, b.strides)
        assert a.flags.writeable == b.flags.writeable
        assert a.tolist() == b.tolist() if a.dtype.hasobject else a.tobytes() == b.tobytes()
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    else:
        assert a == b


def _globals(path):
    with zipfile.ZipFile(path) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return [arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"]


@pytest.mark.parametrize("name", VALUES)
def test_each_librarys_file_loads_in_both_as_torchs_does(name, tmp_path):
    files = {lib: _save(lib, VALUES[name](), tmp_path / f"{lib.__name__}.pt")
             for lib in (torch, tg)}
    assert _globals(files[tg]) == _globals(files[torch])       # NumPy's own pickle, as torch's
    assert sorted(tg.serialization.get_unsafe_globals_in_checkpoint(files[tg])) == sorted(
        torch.serialization.get_unsafe_globals_in_checkpoint(str(files[torch])))  # (a set's)
    expected_refusal = _outcome(torch, files[torch])
    assert expected_refusal[0] == "UnpicklingError"
    expected = torch.load(files[torch], weights_only=False)["x"]
    for saver, path in files.items():
        for loader in (torch, tg):
            assert _outcome(loader, path) == expected_refusal, (saver, loader)
            kind, value = _outcome(loader, path, weights_only=False)
            _same(value, expected)


SAFE = [  # name, saved, allowlisted (torch decides which of these load)
    ("scalar_function_only", np.float64(0.9), [SCALAR]),
    ("scalar_and_dtype", np.float64(0.9), [SCALAR, np.dtype]),
    ("scalar_dtype_class", np.float64(0.9), [SCALAR, np.dtype, D.Float64DType]),
    ("scalar_wrong_class", np.float32(0.9), [SCALAR, np.dtype, D.Float64DType]),
    ("scalar_no_dtype", np.float64(0.9), [SCALAR, D.Float64DType]),
    ("int64", np.int64(3), [SCALAR, np.dtype, D.Int64DType]),
    ("bool", np.bool_(False), [SCALAR, np.dtype, D.BoolDType]),
    ("str_", np.str_("ab"), [SCALAR, np.dtype, D.StrDType]),
    ("by_path", np.float64(0.9), [(SCALAR, "numpy._core.multiarray.scalar"), np.dtype,
                                  D.Float64DType]),
    ("array_with_scalars_list", np.ones(2), [SCALAR, np.dtype, D.Float64DType]),
    ("array_no_ndarray", np.ones(2), [RECONSTRUCT, np.dtype, D.Float64DType]),
    ("array", np.ones(2), [RECONSTRUCT, np.ndarray, np.dtype, D.Float64DType]),
    ("array_no_dtype_class", np.ones(2), [RECONSTRUCT, np.ndarray, np.dtype]),
    ("array_transposed", np.arange(6.0).reshape(2, 3).T,
     [RECONSTRUCT, np.ndarray, np.dtype, D.Float64DType]),
    ("structured", np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
     [RECONSTRUCT, np.ndarray, np.dtype, D.VoidDType]),
    ("object_array", np.array([{}], dtype=object),
     [RECONSTRUCT, np.ndarray, np.dtype, D.ObjectDType]),
]


@pytest.mark.parametrize("how", ["add_safe_globals", "safe_globals"])
@pytest.mark.parametrize("name,value,allowed", SAFE, ids=[s[0] for s in SAFE])
def test_allowlisted_numpy_globals_load_where_torchs_do(name, value, allowed, how, tmp_path):
    def load(lib, path):
        serialization = lib.serialization
        if how == "safe_globals":
            with serialization.safe_globals(allowed):
                return _outcome(lib, path)
        serialization.add_safe_globals(allowed)
        try:
            return _outcome(lib, path)
        finally:
            serialization.clear_safe_globals()
    for saver in (torch, tg):
        path = _save(saver, value, tmp_path / f"{saver.__name__}.pt")
        kind, theirs = load(torch, path)
        ours = load(tg, path)
        assert ours[0] == kind, (saver, ours, theirs)
        if kind == "ok":
            _same(ours[1], theirs)
        else:
            assert ours[1] == theirs
    assert tg.serialization.get_safe_globals() == []          # (the block's globals are gone)


def test_numpy_1_names_are_not_matched_by_numpy_2_objects(tmp_path):
    """A file NumPy 1 pickled names ``numpy.core.multiarray``: weights_only=False reads it;
    allowlisting NumPy 2's ``numpy._core`` objects does not let it through, a path given with
    the object does — in torch as here."""
    path = _save(torch, {"s": np.float64(0.9), "a": np.ones(2)}, tmp_path / "torch.pt")
    old = tmp_path / "numpy1.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as out:
        for n in src.namelist():
            data = src.read(n)
            if n.endswith("data.pkl"):
                data = data.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
            out.writestr(n, data)
    dtype = [np.dtype, D.Float64DType, np.ndarray]
    for allowed in ([], [SCALAR, RECONSTRUCT] + dtype,
                    [(SCALAR, "numpy.core.multiarray.scalar"),
                     (RECONSTRUCT, "numpy.core.multiarray._reconstruct")] + dtype):
        with torch.serialization.safe_globals(allowed):
            theirs = _outcome(torch, old)
        with tg.serialization.safe_globals(allowed):
            ours = _outcome(tg, old)
        assert ours[0] == theirs[0]
        if theirs[0] == "ok":
            _same(ours[1], theirs[1])
        else:
            assert ours[1] == theirs[1] and "numpy.core.multiarray" in ours[1]
    _same(tg.load(old, weights_only=False), torch.load(old, weights_only=False))


def test_a_training_scripts_checkpoint(tmp_path):
    """``{"model": ..., "best_acc": np.float64(...), "epoch": 3}`` saved by either library:
    refused by default, naming the global; with weights_only=False, the model's tensors as
    each library's and ``best_acc`` a ``numpy.float64``."""
    tg.manual_seed(0)
    ours = tg.nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    scores = np.array([0.5, 0.8125, 0.75])
    made = {tg: {"model": ours.state_dict(), "best_acc": scores.max(), "epoch": 3},
            torch: {"model": theirs.state_dict(), "best_acc": scores.max(), "epoch": 3}}
    for saver in (torch, tg):
        path = tmp_path / f"{saver.__name__}.pt"
        saver.save(made[saver], path)
        for loader in (torch, tg):
            with pytest.raises(pickle.UnpicklingError,
                               match=r"GLOBAL numpy\._core\.multiarray\.scalar was not an "
                                     r"allowed global by default"):
                loader.load(path)
            ckpt = loader.load(path, weights_only=False, map_location="cpu")
            assert type(ckpt["best_acc"]) is np.float64 and ckpt["best_acc"] == 0.8125
            assert type(ckpt["epoch"]) is int and ckpt["epoch"] == 3
            for k, v in ckpt["model"].items():
                assert isinstance(v, loader.Tensor)
                np.testing.assert_array_equal(v.numpy(), ours.state_dict()[k].numpy())
        with pytest.raises(pickle.UnpicklingError, match=rf"^{path}: the checkpoint holds a "
                                                         r"pickled NumPy array or scalar "
                                                         r"\(numpy\._core\.multiarray\.scalar\)"
                           ) as refused:
            tg.load(path)
        assert type(refused.value) is pickle.UnpicklingError     # (torch's class exactly)


def test_only_numpy_is_pickled_as_numpy(tmp_path):
    """Tensors beside NumPy objects are still torch's tensors (loaded by torch's
    weights_only=True once NumPy's globals are allowed); a plain float stays a float."""
    path = tmp_path / "ck.pt"
    tg.save({"t": tg.arange(3.0), "n": np.arange(3.0), "f": 0.5, "s": np.float32(0.5)}, path)
    with torch.serialization.safe_globals([SCALAR, RECONSTRUCT, np.ndarray, np.dtype,
                                           D.Float64DType, D.Float32DType]):
        back = torch.load(path)
    assert type(back["t"]) is torch.Tensor and back["t"].tolist() == [0.0, 1.0, 2.0]
    assert type(back["n"]) is np.ndarray and back["n"].tolist() == [0.0, 1.0, 2.0]
    assert type(back["f"]) is float and type(back["s"]) is np.float32
