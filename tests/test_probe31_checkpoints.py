"""Checkpoints cross between tinygrad_sgd and real PyTorch both ways, checked against torch:

- state_dicts of torch.nn layers (Linear ... TransformerEncoderLayer, nested containers)
  saved by either library load strictly into the other's module and give its outputs; the
  state_dict's ``_metadata`` (module versions) survives, as in torch;
- optimizer (SGD/Adam/AdamW/RMSprop/Adagrad) and lr_scheduler state_dicts saved mid-training
  continue training to torch's numbers (a MultiStepLR's ``Counter`` of milestones included);
- the values torch's ``weights_only=True`` allows (sets, bytes, Counter, complex, dtypes,
  devices, Size, strided) go both ways; what it refuses, or what we lack (NumPy arrays, a
  pickled module, bfloat16/complex/float8, sparse and quantized tensors) raises a ValueError
  naming the file and the thing;
- tensor layouts (0-d, empty, transposed, sliced, expanded with stride 0, negative strides,
  shared storages) for every dtype; the archive's folder named as torch names it; storages
  64-byte aligned; ``torch.load(mmap=True)``; nothing unsafe by
  ``get_unsafe_globals_in_checkpoint``; ``map_location`` per saved location;
- a torch program run by ``tinygrad-sgd run`` saves a file real torch reads, and back.
"""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.dtypes import as_dtype

torch = pytest.importorskip("torch")


def _saved_by(lib, obj):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return buf


def _np(t):
    return np.asarray(t.detach().numpy())


# ================================================================== layers, both directions
def _nested(m):
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = m.nn.Sequential(m.nn.Linear(4, 4), m.nn.BatchNorm1d(4), m.nn.ReLU())
            self.blocks = m.nn.ModuleList([m.nn.Linear(4, 4) for _ in range(2)])
            self.heads = m.nn.ModuleDict({"out": m.nn.Linear(4, 2)})

        def forward(self, x):
            x = self.seq(x)
            for b in self.blocks:
                x = b(x)
            return self.heads["out"](x)
    return Net()


def _first(out):
    return out[0] if isinstance(out, tuple) else out


LAYERS = [  # name, build(m), input shape (or "ids"), call(module, x)
    ("linear", lambda m: m.nn.Linear(4, 3), (2, 4), None),
    ("conv1d", lambda m: m.nn.Conv1d(2, 3, 3), (2, 2, 7), None),
    ("conv2d", lambda m: m.nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5), None),
    ("batchnorm1d", lambda m: m.nn.BatchNorm1d(3), (5, 3), None),
    ("batchnorm2d", lambda m: m.nn.BatchNorm2d(3), (2, 3, 4, 4), None),
    ("layernorm", lambda m: m.nn.LayerNorm(4), (2, 4), None),
    ("embedding", lambda m: m.nn.Embedding(5, 3), "ids", None),
    ("lstm", lambda m: m.nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3), None),
    ("gru", lambda m: m.nn.GRU(3, 4, bidirectional=True), (5, 2, 3), None),
    ("mha", lambda m: m.nn.MultiheadAttention(8, 2, batch_first=True), (2, 3, 8),
     lambda mod, x: mod(x, x, x)),
    ("encoder_layer", lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                             batch_first=True), (2, 3, 8), None),
    ("nested_containers", _nested, (5, 4), None),
]


@pytest.mark.parametrize("name,build,shape,call", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_state_dicts_cross_both_ways_with_torchs_outputs(name, build, shape, call):
    call = call or (lambda mod, x: mod(x))
    x = (np.arange(6).reshape(2, 3) % 5 if shape == "ids" else
         np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    torch.manual_seed(0)
    theirs = build(torch)
    with torch.no_grad():
        call(theirs, torch.from_numpy(x))         # (batch norms: running stats move)
    theirs.eval()
    with torch.no_grad():
        expected = _np(_first(call(theirs, torch.from_numpy(x))))
    sd = tg.load(_saved_by(torch, theirs.state_dict()))
    assert sd._metadata == theirs.state_dict()._metadata
    ours = build(tg)
    ours.load_state_dict(sd, strict=True)
    ours.eval()
    np.testing.assert_allclose(_np(_first(call(ours, tg.tensor(x)))), expected, rtol=1e-4,
                               atol=1e-5)
    for weights_only in (True, False):          # ours → torch
        back = torch.load(_saved_by(tg, ours.state_dict()), weights_only=weights_only)
        assert back._metadata == ours.state_dict()._metadata    # (was dropped by save)
        fresh = build(torch)
        fresh.load_state_dict(back, strict=True)
        fresh.eval()
        for k, v in theirs.state_dict().items():
            assert back[k].dtype == v.dtype, k
        with torch.no_grad():
            np.testing.assert_allclose(_np(_first(call(fresh, torch.from_numpy(x)))),
                                       expected, rtol=1e-6, atol=1e-7)


# ================================================================== optimizers and schedulers
OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]
SCHEDULERS = [
    (None, None),
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 4], gamma=0.5)),    # milestones: a Counter
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10)),
]
_BATCHES = [tuple(np.random.default_rng(i).standard_normal(s).astype(np.float32)
                  for s in ((8, 4), (8, 3))) for i in range(6)]


def _train(m, model, opt, sched, batches):
    for x, y in batches:
        opt.zero_grad()
        ((model(m.tensor(x)) - m.tensor(y)) ** 2).mean().backward()
        opt.step()
        if sched is not None:
            sched.step()


def _setup(m, opt_name, kw, sched_name, skw):
    model = m.nn.Linear(4, 3)
    opt = getattr(m.optim, opt_name)(model.parameters(), **kw)
    sched = None if sched_name is None else getattr(m.optim.lr_scheduler, sched_name)(opt, **skw)
    return model, opt, sched


@pytest.mark.parametrize("sched_name,skw", SCHEDULERS, ids=[str(s[0]) for s in SCHEDULERS])
@pytest.mark.parametrize("opt_name,kw", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_and_scheduler_states_continue_training_as_torch(opt_name, kw, sched_name,
                                                                   skw):
    # one run, saved after 3 steps by `first`, continued 3 steps by `second`: both ways the
    # weights and lr end as the run that never stopped
    if sched_name == "OneCycleLR" and opt_name == "Adagrad":     # (no momentum to cycle)
        skw = dict(skw, cycle_momentum=False)
    for first, second in ((torch, tg), (tg, torch)):
        torch.manual_seed(0)
        tg.manual_seed(0)
        model, opt, sched = _setup(first, opt_name, kw, sched_name, skw)
        _train(first, model, opt, sched, _BATCHES[:3])
        buf = _saved_by(first, {"model": model.state_dict(), "opt": opt.state_dict(),
                                "sched": sched and sched.state_dict()})
        _train(first, model, opt, sched, _BATCHES[3:])
        ck = second.load(buf)
        model2, opt2, sched2 = _setup(second, opt_name, kw, sched_name, skw)
        model2.load_state_dict(ck["model"])
        opt2.load_state_dict(ck["opt"])
        if sched2 is not None:
            sched2.load_state_dict(ck["sched"])
        _train(second, model2, opt2, sched2, _BATCHES[3:])
        np.testing.assert_allclose(_np(model2.weight), _np(model.weight), rtol=1e-5, atol=1e-6)
        assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)


# ================================================================== values both ways
VALUES = [  # name, torch's value, ours (what tg.load gives, and what tg.save takes)
    ("set", {1, "a"}, {1, "a"}),
    ("bytes", b"\x00\xffab", b"\x00\xffab"),
    ("bytearray", bytearray(b"xy"), bytearray(b"xy")),
    ("counter", collections.Counter({2: 1, 4: 1}), collections.Counter({2: 1, 4: 1})),
    ("complex", 1 - 2j, 1 - 2j),
    ("dtype", torch.float16, tg.float16),
    ("dtype_uint16", torch.uint16, as_dtype("uint16")),
    ("device", torch.device("cpu"), tg.device("cpu")),
    ("cuda_device", torch.device("cuda", 1), tg.device("cuda", 1)),
    ("size", torch.Size([2, 3]), tg.Size([2, 3])),
    ("layout", torch.strided, tg.strided),
    ("plain", {1: None, "x": [True, 2**70, float("-inf"), "s", (0.5,)]},
     {1: None, "x": [True, 2**70, float("-inf"), "s", (0.5,)]}),
]


@pytest.mark.parametrize("name,theirs,ours", VALUES, ids=[v[0] for v in VALUES])
def test_values_torchs_weights_only_allows_go_both_ways(name, theirs, ours):
    loaded = tg.load(_saved_by(torch, {"v": theirs}))["v"]
    assert loaded == ours and type(loaded) is type(ours)
    for weights_only in (True, False):
        back = torch.load(_saved_by(tg, {"v": ours}), weights_only=weights_only)["v"]
        assert back == theirs and type(back) is type(theirs)


UNPICKLING = pickle.UnpicklingError     # weights_only=True's refusal: torch's class exactly
REFUSED = [  # name, what torch.save wrote, the error's class, what the message must say
    ("numpy_array", np.ones(3), UNPICKLING, r"pickled NumPy array"),
    ("numpy_scalar", np.float32(1.5), UNPICKLING, r"pickled NumPy array or scalar"),
    ("module", torch.nn.ReLU(), UNPICKLING,
     r"torch\.nn\.modules\.activation\.ReLU.*state_dict\(\)"),
    ("frozenset", frozenset([1]), UNPICKLING, r"builtins\.frozenset"),
    # what torch loads and tinygrad_sgd has not: its CheckpointError, a ValueError
    ("bfloat16", torch.ones(2, dtype=torch.bfloat16), tg.serialization.CheckpointError,
     r"BFloat16Storage.*\.float\(\)"),
    ("complex64", torch.ones(2, dtype=torch.complex64), tg.serialization.CheckpointError,
     r"ComplexFloatStorage.*view_as_real"),
    ("float8", torch.ones(2, dtype=torch.float8_e4m3fn), tg.serialization.CheckpointError,
     r"torch\.float8_e4m3fn .*dtype"),
    ("bfloat16_dtype", torch.bfloat16, tg.serialization.CheckpointError,
     r"torch\.bfloat16 .*dtype"),
    ("sparse", torch.ones(2, 2).to_sparse(), tg.serialization.CheckpointError,
     r"a sparse tensor.*to_dense"),
]


@pytest.mark.parametrize("name,value,kind,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_what_we_cannot_load_is_refused_naming_the_file(tmp_path, name, value, kind, message):
    path = tmp_path / f"{name}.pt"
    torch.save({"x": value}, path)
    with pytest.raises(kind, match=rf"{name}\.pt: .*{message}") as refused:
        tg.load(path)
    assert type(refused.value) is kind


# ================================================================== layouts and dtypes
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "uint16", "uint32", "uint64", "bool"]
VIEWS = {  # name → view of a (2, 3, 4) base
    "base": lambda b: b, "zero_d": lambda b: b[1, 2, 3], "empty": lambda b: b[:, :0],
    "transposed": lambda b: b.transpose(0, 2), "sliced": lambda b: b[:, 1:, ::2],
    "row": lambda b: b[1], "expanded": lambda b: b[:, :, :1].expand(2, 3, 5),
    "expanded_0d": lambda b: b[0, 0, :1].expand(3, 4), "permuted": lambda b: b.permute(2, 0, 1),
}


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_layouts_of_every_dtype_both_ways(dtype):
    values = np.arange(24).reshape(2, 3, 4) % 7
    theirs = {k: f(torch.from_numpy(values).to(getattr(torch, dtype))) for k, f in VIEWS.items()}
    loaded = tg.load(_saved_by(torch, theirs))
    for k, t in theirs.items():
        assert loaded[k].dtype == as_dtype(dtype), k
        np.testing.assert_array_equal(loaded[k].numpy(), t.numpy(), err_msg=k)
        assert tuple(loaded[k].stride()) == t.stride() or t.numel() <= 1, k
    base = tg.tensor(values.astype(dtype))
    ours = {k: f(base) for k, f in VIEWS.items()}
    ours["negative_strides"] = tg.tensor(values.astype(dtype)[::-1, :, ::-2])   # (a copy)
    back = torch.load(_saved_by(tg, ours))
    for k, v in ours.items():
        assert back[k].dtype == getattr(torch, dtype), k
        np.testing.assert_array_equal(back[k].numpy(), v.numpy(), err_msg=k)
    assert back["transposed"].untyped_storage().data_ptr() == \
        back["base"].untyped_storage().data_ptr()           # one storage, as torch's
    views = {"negative_strides": values.astype(dtype)[::-1, :, ::-2],  # NumPy's views: pickled
             "broadcast": np.broadcast_to(values.astype(dtype)[0, :1], (4, 4))}  # by NumPy
    for k, v in torch.load(_saved_by(tg, views), weights_only=False).items():
        assert type(v) is np.ndarray and v.dtype == views[k].dtype, k
        np.testing.assert_array_equal(v, views[k], err_msg=k)


# ================================================================== the file itself
NAMES = ["ck.pt", "a.b.pt", "noext", "x.", "..pt", "ck.pth.tar", "sp ace-$#.pt", "ü.pt",
         os.path.join("dirü", "ck.pt")]


@pytest.mark.parametrize("name", NAMES)
def test_the_archive_folder_is_named_as_torch_names_it(tmp_path, name):
    folders = []
    for lib in (torch, tg):
        path = tmp_path / lib.__name__ / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lib.save({"w": torch.ones(2)}, path)
        with zipfile.ZipFile(path) as z:
            folders.append(z.namelist()[0].split("/")[0])
    assert folders[1] == folders[0]


def test_storages_are_aligned_and_torch_reads_the_file_with_mmap_and_finds_nothing_unsafe(
        tmp_path):
    model = tg.nn.Sequential(tg.nn.Linear(3, 5), tg.nn.BatchNorm1d(5), tg.nn.Linear(5, 1))
    opt = tg.optim.Adam(model.parameters())
    model(tg.ones(4, 3)).sum().backward()
    opt.step()
    sd = model.state_dict()
    path = tmp_path / "ck.pt"
    tg.save({"model": sd, "opt": opt.state_dict(), "odd": tg.arange(3, dtype=tg.int8),
             "half": tg.ones(7, dtype=tg.float16), "view": sd["0.weight"][1:],
             "dtype": tg.float32}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():                           # from each local header
            n, extra = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            start = info.header_offset + 30 + n + extra
            assert raw[start:start + info.file_size] == z.read(info)
            if "/data/" in info.filename:
                assert start % 64 == 0, info.filename
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) == []
    mapped = torch.load(path, mmap=True)
    np.testing.assert_array_equal(mapped["model"]["0.weight"].numpy(), sd["0.weight"].numpy())
    assert mapped["view"].untyped_storage().data_ptr() == \
        mapped["model"]["0.weight"].untyped_storage().data_ptr()
    assert mapped["opt"]["state"][0]["step"].dtype == torch.float32


def _saved_on_cuda(path):
    """A torch file whose tensor says it was saved on cuda:0 (this torch has no CUDA)."""
    buf = _saved_by(torch, collections.OrderedDict(w=torch.arange(3.0)))
    with zipfile.ZipFile(buf) as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            out.writestr(info, data)


MAP_LOCATIONS = [None, "cpu", "cuda", {"cuda:0": "cpu"}, {"cuda:1": "cpu"}, {"cpu": "cuda"},
                 lambda storage, location: storage]


@pytest.mark.parametrize("map_location", MAP_LOCATIONS, ids=lambda m: repr(m)[:12])
def test_map_location_acts_per_saved_location_as_torchs(tmp_path, map_location):
    path = tmp_path / "cuda.pt"
    _saved_on_cuda(path)
    outcomes = []
    for lib in (torch, tg):
        try:
            loaded = lib.load(path, map_location=map_location)
            outcomes.append((type(loaded).__name__, loaded["w"].tolist()))
        except RuntimeError as e:
            outcomes.append("deserialize object on a CUDA device" in str(e))
    assert outcomes[1] == outcomes[0]


def test_a_map_location_function_keeps_ordered_dicts_metadata_and_identity():
    bn = torch.nn.BatchNorm1d(2)
    buf = _saved_by(torch, {"sd": bn.state_dict(), "c": collections.Counter(a=1),
                            "twice": [bn.weight.data, bn.weight.data]})
    results = []
    for lib in (torch, tg):
        buf.seek(0)
        d = lib.load(buf, map_location=lambda storage, location: storage)
        results.append((type(d["sd"]).__name__, d["sd"]._metadata, type(d["c"]).__name__,
                        d["twice"][0] is d["twice"][1]))
    assert results[1] == results[0]


# ================================================================== a torch program, both ways
TRAIN = """
import sys, torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, [1, 2])
x = torch.arange(32, dtype=torch.float32).reshape(8, 4) / 10
y = torch.tensor([0, 1] * 4)
def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    sched.step()
if sys.argv[1] == "resume":
    ck = torch.load(sys.argv[2])
    assert ck["dtype"] == torch.float32 and ck["device"] == torch.device("cpu")
    model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])
else:
    step()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict(), "dtype": torch.float32,
                "device": torch.device("cpu")}, sys.argv[2])
step(); step()
print(" ".join(f"{v:.6f}" for v in model(x)[0].tolist()), opt.param_groups[0]["lr"])
"""


def test_a_torch_program_run_here_saves_what_torch_resumes_and_back(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(TRAIN)
    shim = [os.path.join(os.path.dirname(sys.executable), "tinygrad-sgd"), "run"]
    if not os.path.exists(shim[0]):
        shim = [sys.executable, "-m", "tinygrad_sgd.as_torch"]
    real = [sys.executable]

    def run(cmd, *args):
        done = subprocess.run(cmd + [str(script), *args], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.split()

    for save_with, resume_with in ((shim, real), (real, shim)):
        path = str(tmp_path / "ck.pt")
        straight = run(save_with, "save", path)       # 3 steps in one run
        resumed = run(resume_with, "resume", path)    # 1 saved, 2 after loading
        np.testing.assert_allclose([float(v) for v in resumed], [float(v) for v in straight],
                                   rtol=1e-4, atol=1e-6)
