"""tinygrad_sgd.save / load: round trips of model and optimizer state dicts (nested, int keys,
non-array values), atomic writes (a failure midway leaves the old file intact and no temporary
file), and clear errors for corrupt, truncated and foreign files."""
import collections
import io
import os
import zipfile

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, models, optim, serialization
from tinygrad_sgd.nn import functional as F


def trained_pair():
    tg.manual_seed(0)
    model = models.MLP([2, 4, 1])
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = Tensor(np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32))
    for _ in range(2):
        opt.zero_grad()
        F.mse_loss(model(x), Tensor(np.zeros((8, 1), np.float32))).backward()
        opt.step()
    return model, opt


def listing(directory):
    return sorted(os.listdir(directory))


# ============================================================================ round trips
def test_model_state_dict_round_trip(tmp_path):
    model, _ = trained_pair()
    path = tmp_path / "model.pt"
    tg.save(model.state_dict(), path)
    assert listing(tmp_path) == ["model.pt"]            # name kept as given, no temp left
    loaded = tg.load(path)
    assert list(loaded) == list(model.state_dict())     # order kept
    for (k, v), p in zip(loaded.items(), model.parameters()):
        assert type(v) is Tensor and not v.requires_grad
        assert v.dtype == np.float32
        np.testing.assert_array_equal(v.data, p.data)
    fresh = models.MLP([2, 4, 1])
    fresh.load_state_dict(loaded)
    for p, q in zip(fresh.parameters(), model.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    tg.save(model.state_dict(), str(tmp_path / "as_str"))   # str paths too
    assert list(tg.load(str(tmp_path / "as_str"))) == list(loaded)


def test_nested_structures_and_values_round_trip(tmp_path):
    _, opt = trained_pair()
    obj = {
        "optimizer": opt.state_dict(),
        "epoch": 3, "best": 0.25, "name": "run/1", "flag": True, "nothing": None,
        "history": [1.5, 2.5], "shape": (28, 28), "nan": float("nan"),
        "ints": tg.arange(5, dtype=tg.int64), "mask": tg.tensor([True, False]),
        "scalar": 2.5, "zero_d": Tensor(np.array(7.0, np.float32)),
        "deep": {"a": {"b": {1: [tg.ones(2), {"c": "x"}]}}},
        "dotted.key/with slash": tg.zeros(1),
    }   # (NumPy arrays and scalars are NumPy's pickles: tests/test_checkpoint_numpy_objects.py)
    tg.save(obj, tmp_path / "ck")
    back = tg.load(tmp_path / "ck")
    assert list(back) == list(obj)
    sd, ref = back["optimizer"], opt.state_dict()
    assert list(sd["state"]) == [0, 1, 2, 3]                 # int keys stay ints
    assert sd["param_groups"] == [{k: v for k, v in ref["param_groups"][0].items()}]
    for i in ref["state"]:
        np.testing.assert_array_equal(sd["state"][i]["momentum_buffer"].data,
                                      ref["state"][i]["momentum_buffer"].data)
    assert (back["epoch"], back["best"], back["name"], back["flag"], back["nothing"]) == \
        (3, 0.25, "run/1", True, None)
    assert back["history"] == [1.5, 2.5] and back["shape"] == (28, 28)
    assert np.isnan(back["nan"]) and back["scalar"] == 2.5
    assert back["ints"].dtype == np.int64 and back["ints"].tolist() == [0, 1, 2, 3, 4]
    assert back["mask"].dtype == np.bool_
    assert back["zero_d"].shape == () and back["zero_d"].item() == 7.0
    assert back["deep"]["a"]["b"][1][1] == {"c": "x"}
    np.testing.assert_array_equal(back["deep"]["a"]["b"][1][0].data, [1, 1])
    assert back["dotted.key/with slash"].shape == (1,)
    # optimizer state loads back into an optimizer
    model2, _ = trained_pair()
    opt2 = optim.SGD(model2.parameters())
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["momentum"] == 0.9


def test_the_file_is_torchs_format_and_torch_loads_it(tmp_path):
    """save writes torch's zip format: PyTorch's own torch.load (weights_only, its default)
    reads it — the same names, values, Parameters — and the archive is laid out as torch's."""
    model, _ = trained_pair()
    sd = model.state_dict()
    tg.save({"model": sd, "params": list(model.parameters()), "epoch": 3,
             "lr": 0.5, "ids": tg.arange(3)}, tmp_path / "m.pt")
    theirs = torch.load(tmp_path / "m.pt")
    assert list(theirs["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for k, v in sd.items():
        assert theirs["model"][k].dtype == torch.float32
        np.testing.assert_array_equal(theirs["model"][k].numpy(), v.data)
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in theirs["params"])
    assert theirs["epoch"] == 3 and theirs["lr"] == 0.5 and type(theirs["lr"]) is float
    assert theirs["ids"].dtype == torch.int64 and theirs["ids"].tolist() == [0, 1, 2]
    with zipfile.ZipFile(tmp_path / "m.pt") as z:
        names = z.namelist()
        assert {"m/data.pkl", "m/byteorder", "m/version", "m/data/0"} <= set(names)
        for info in z.infolist():                  # each storage's bytes 64-byte aligned
            if "/data/" in info.filename:
                assert (info.header_offset + 30 + len(info.filename) + len(info.extra)) % 64 == 0


def test_views_saved_together_share_one_storage_in_torch_and_here(tmp_path):
    base = tg.arange(12.0).reshape(3, 4)
    tg.save({"base": base, "row": base[1], "t": base.t(), "col": base[:, 2]}, tmp_path / "v.pt")
    for loaded in (torch.load(tmp_path / "v.pt"), tg.load(tmp_path / "v.pt")):
        np.testing.assert_array_equal(np.asarray(loaded["t"].tolist()), base.t().numpy())
        np.testing.assert_array_equal(np.asarray(loaded["col"].tolist()), base[:, 2].numpy())
        loaded["base"].add_(100)
        assert loaded["row"].tolist() == (base[1] + 100).tolist()
        assert loaded["col"].tolist() == (base[:, 2] + 100).tolist()


def test_a_checkpoint_of_the_earlier_npz_format_still_loads(tmp_path):
    """Before torch's format, save wrote an .npz with a JSON manifest: those files load."""
    import json
    manifest = {"format": serialization.FORMAT, "version": serialization.VERSION, "root": {
        "ordered_dict": [["w", {"array": "w", "parameter": True, "requires_grad": True}],
                         ["step", {"value": 7}], ["same", {"array": "w"}]]}}
    path = tmp_path / "old.npz"
    np.savez(path, w=np.arange(4.0, dtype=np.float32), **{serialization.MANIFEST: np.frombuffer(
        json.dumps(manifest).encode(), np.uint8)})
    loaded = tg.load(path)
    assert list(loaded) == ["w", "step", "same"] and loaded["step"] == 7
    assert isinstance(loaded["w"], tg.nn.Parameter) and loaded["same"] is loaded["w"]
    assert loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_file_objects_and_torch_tensors(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    buf = io.BytesIO()
    tg.save(net.state_dict(), buf)                  # torch tensors are saved as arrays
    buf.seek(0)
    loaded = tg.load(buf)
    ours = models.MLP([2, 4, 1])
    ours.load_state_dict(loaded)
    for p, q in zip(ours.parameters(), net.parameters()):
        np.testing.assert_array_equal(p.data, q.detach().numpy())


def test_values_beyond_weights_are_pickled_whole_and_unpicklable_ones_refused(tmp_path):
    """What a checkpoint of weights can't hold is pickled whole, as torch.save pickles it
    (weights_only=False loads it back, as torch's; tests/test_save_objects.py has more); what
    pickle can't pickle raises the error torch raises, nothing written, nothing left behind."""
    import pickle
    tg.save({"a": {"b": 1j}, 1.5: 1, "s": np.array(["a"])}, tmp_path / "x")
    back = tg.load(tmp_path / "x", weights_only=False)
    assert back["a"] == {"b": 1j} and back[1.5] == 1 and back["s"].tolist() == ["a"]
    with pytest.raises((pickle.PicklingError, AttributeError)) as theirs:   # (a local lambda:
        # AttributeError on Python 3.11, as its C pickler raises it; ours is torch's)
        torch.save({"f": lambda: 0}, io.BytesIO())
    with pytest.raises(theirs.type):
        tg.save({"f": lambda: 0}, tmp_path / "y")
    assert listing(tmp_path) == ["x"]


# ============================================================================ atomic writes
def test_failed_replace_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    tg.save({"w": tg.ones(3)}, path)
    old = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk vanished")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk vanished"):
        tg.save({"w": tg.zeros(3)}, path)
    assert path.read_bytes() == old
    assert listing(tmp_path) == ["ck.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["w"].data, 1)


def test_crash_midway_through_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    tg.save({"w": tg.ones(1000)}, path)
    old = path.read_bytes()
    real_write = serialization._torch_format.save_torch_checkpoint

    def half_then_crash(obj, file, *args):
        real_write(obj, file, *args)
        file.truncate(file.tell() // 2)             # half of the bytes are on disk ...
        raise KeyboardInterrupt                      # ... when the process is interrupted
    monkeypatch.setattr(serialization._torch_format, "save_torch_checkpoint", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"w": tg.zeros(1000)}, path)
    assert path.read_bytes() == old
    assert listing(tmp_path) == ["ck.npz"]
    monkeypatch.undo()
    tg.save({"w": tg.zeros(1000)}, path)            # a successful save replaces it
    np.testing.assert_array_equal(tg.load(path)["w"].data, 0)
    assert listing(tmp_path) == ["ck.npz"]


# ============================================================================ bad files
def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no such file"):
        tg.load("/nonexistent/dir/ck.npz")


@pytest.mark.parametrize("content", [
    b"",
    os.urandom(300),
    b"PK\x03\x04" + os.urandom(200),                # zip magic, garbage after
    b"\x80\x04\x95" + os.urandom(50),               # pickle magic
])
def test_random_bytes_raise_value_error_naming_the_file(tmp_path, content):
    path = tmp_path / "junk.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="junk.bin"):
        tg.load(path)


def test_truncated_checkpoint(tmp_path):
    good = tmp_path / "good"
    tg.save({"w": tg.arange(10000.0), "b": tg.ones(3)}, good)
    data = good.read_bytes()
    for cut in (len(data) // 3, len(data) - 10, 100):
        path = tmp_path / f"cut{cut}"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=f"cut{cut}.*not a valid tinygrad_sgd checkpoint"):
            tg.load(path)


def test_corrupted_bytes_inside_an_array(tmp_path):
    path = tmp_path / "flipped"
    tg.save({"w": tg.arange(10000.0)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF                    # inside the array's data: the CRC fails
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="flipped"):
        tg.load(path)


def test_foreign_files(tmp_path):
    npz = tmp_path / "foreign.npz"
    np.savez(npz, a=np.ones(2), b=np.zeros(3))
    with pytest.raises(ValueError, match=r"foreign.npz is not a tinygrad_sgd checkpoint.*"
                                         r"entries: a, b"):
        tg.load(npz)
    npy = tmp_path / "single.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match=r"single.npy is not a tinygrad_sgd checkpoint.*\.npy"):
        tg.load(npy)
    pt = tmp_path / "model.pt"         # torch's zip format loads (test_torch_checkpoints.py),
    torch.save({"w": torch.ones(2)}, pt, _use_new_zipfile_serialization=False)   # not its old
    with pytest.raises(ValueError, match="model.pt is a pickle .*before torch 1.6"):
        tg.load(pt)
    other = tmp_path / "plain.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="plain.zip"):
        tg.load(other)


def test_bad_manifest(tmp_path):
    def write(name, manifest_bytes, **arrays):
        path = tmp_path / name
        np.savez(path, **arrays, **{serialization.MANIFEST: np.frombuffer(manifest_bytes,
                                                                           np.uint8)})
        return path
    with pytest.raises(ValueError, match="notjson.npz"):
        tg.load(write("notjson.npz", b"{nope"))
    with pytest.raises(ValueError, match="wrongformat.npz: unrecognised manifest"):
        tg.load(write("wrongformat.npz", b'{"format": "x"}'))
    with pytest.raises(ValueError, match="future.npz: checkpoint format version 99"):
        tg.load(write("future.npz", b'{"format": "tinygrad_sgd-checkpoint", "version": 99}'))
    with pytest.raises(ValueError, match="lacks.npz.*names an array 'w' the file lacks"):
        tg.load(write("lacks.npz", b'{"format": "tinygrad_sgd-checkpoint", "version": 1, '
                                   b'"root": {"dict": [["w", {"array": "w"}]]}}'))


def test_identity_parameters_and_ordered_dicts_survive_as_torch(tmp_path):
    """A tensor saved twice loads as one object, a Parameter as a Parameter, requires_grad
    and OrderedDict kept — as torch.save/torch.load do."""
    results = []
    for m in (torch, tg):
        x = m.arange(6.0).view(2, 3)
        obj = {"a": x, "b": x, "w": m.nn.Parameter(m.ones(2)),
               "frozen": m.nn.Parameter(m.ones(2), requires_grad=False),
               "r": m.ones(2, requires_grad=True), "sd": collections.OrderedDict(k=x),
               "l": [x, x]}
        path = tmp_path / f"{m.__name__}.pt"
        m.save(obj, path)
        d = m.load(path)
        results.append((d["a"] is d["b"], d["l"][0] is d["l"][1], d["sd"]["k"] is d["a"],
                        type(d["w"]).__name__, d["w"].requires_grad,
                        type(d["frozen"]).__name__, d["frozen"].requires_grad,
                        d["r"].requires_grad, type(d["r"]).__name__, type(d["sd"]).__name__,
                        d["a"].tolist()))
    assert results[0] == results[1]
