"""Whole objects in checkpoints, as torch's "Save/Load Entire Model", checked against torch:

- a model, an optimizer and a scheduler saved whole (in one dict, with an argparse Namespace,
  a dataclass, a NumPy array) load with ``weights_only=False`` as torch's do: Parameters,
  buffers, hooks, ``training``, submodules, one Parameter object shared by model and
  optimizer; the loaded pair gives the same outputs and continues training to the same numbers;
- ``weights_only=True`` (the default) refuses them with torch's ``UnpicklingError`` and
  "Weights only load failed ... GLOBAL x" text, and builds them once their classes are marked
  safe (``add_safe_globals``, ``safe_globals``, ``(obj, "path")`` tuples), as torch does;
  ``get_unsafe_globals_in_checkpoint`` lists what torch's lists; the environment variables
  and ``pickle_module`` decide ``weights_only`` as in torch;
- what pickle can't pickle raises its ``PicklingError`` (the old file kept); a class gone
  when loading raises pickle's ``AttributeError``, as in torch;
- a model real torch pickled whole (every class of ``TORCH_CLASSES``) loads into the
  library's classes — their attributes ours, their outputs and gradients torch's; a program's
  own class loads when the program runs with torch as the library; a class deriving from real
  torch, a torch class not checked, a torch optimizer are refused naming them.
"""
import argparse
import collections
import dataclasses
import importlib
import io
import pickle
import sys
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import serialization
from tinygrad_sgd.serialization_objects import TORCH_CLASSES

torch = pytest.importorskip("torch")


# ================================================================== classes pickled by the tests
def _hook(module, inputs, output):         # a forward hook, pickled by reference
    return output * 2


class OurNet(tg.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = tg.nn.Linear(3, 4)
        self.frozen = tg.nn.Linear(4, 2)
        self.frozen.requires_grad_(False)
        self.register_buffer("shift", tg.arange(2.0))
        self.register_buffer("scratch", tg.ones(2), persistent=False)
        self.scale = 0.5

    def forward(self, x):
        return self.frozen(self.fc(x).tanh()) * self.scale + self.shift


class TorchNet(torch.nn.Module):          # the same model, real torch's
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.frozen = torch.nn.Linear(4, 2)
        self.frozen.requires_grad_(False)
        self.register_buffer("shift", torch.arange(2.0))
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.scale = 0.5

    def forward(self, x):
        return self.frozen(self.fc(x).tanh()) * self.scale + self.shift


@dataclasses.dataclass
class Config:
    width: int = 4
    name: str = "run"


UNPICKLABLE = lambda x: x    # noqa: E731 — a lambda, not found by its name "<lambda>"


class Vanishing:                           # deleted before loading (a class gone)
    pass


NETS = {tg: OurNet, torch: TorchNet}


def _saved(lib, obj):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return buf


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:       # noqa: BLE001 — the exception is the result compared
        return type(e), e


def _np(t):
    return np.asarray(t.detach().numpy())


def _twins():
    """OurNet and TorchNet with the same weights, in eval mode, a hook on ``fc``."""
    torch.manual_seed(0)
    theirs = TorchNet()
    ours = OurNet()
    ours.load_state_dict({k: _np(v) for k, v in theirs.state_dict().items()})
    for m in (ours, theirs):
        m.fc.register_forward_hook(_hook)
        m.eval()
    return {tg: ours, torch: theirs}


X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)


# ================================================================== a model saved whole
def _summary(lib, model):
    """What a whole model keeps, in words both libraries share."""
    return {
        "training": [m.training for m in model.modules()],
        "params": [(n, type(p).__name__, p.requires_grad) for n, p in model.named_parameters()],
        "buffers": [n for n, _ in model.named_buffers()],
        "state_dict": list(model.state_dict()), "scale": model.scale,
        "hooks": len(model.fc._forward_hooks),
        "out": _np(model(lib.tensor(X))).round(5).tolist()}


def test_a_model_saved_whole_loads_as_torchs_does():
    summaries = {}
    for lib, model in _twins().items():
        before = _summary(lib, model)
        loaded = lib.load(_saved(lib, model), weights_only=False)
        assert type(loaded) is NETS[lib] and loaded is not model
        assert _summary(lib, loaded) == before
        np.testing.assert_array_equal(_np(loaded.scratch), 1.0)     # (not persistent: kept)
        summaries[lib] = before
    assert summaries[tg] == summaries[torch]


def test_the_loaded_model_gives_the_same_gradients():
    grads = {}
    for lib, model in _twins().items():
        loaded = lib.load(_saved(lib, model), weights_only=False)
        loaded.train()
        (loaded(lib.tensor(X)) ** 2).sum().backward()
        grads[lib] = {n: None if p.grad is None else _np(p.grad)
                      for n, p in loaded.named_parameters()}
    assert grads[tg].keys() == grads[torch].keys()
    for n, g in grads[torch].items():
        assert (grads[tg][n] is None) == (g is None), n
        if g is not None:
            np.testing.assert_allclose(grads[tg][n], g, rtol=1e-5, atol=1e-6, err_msg=n)


def _training_run(lib, model):
    model.train()
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return opt, sched


def _step(lib, model, opt, sched):
    opt.zero_grad()
    (model(lib.tensor(X)) ** 2).mean().backward()
    opt.step()
    sched.step()


def test_model_optimizer_and_scheduler_saved_in_one_dict_continue_as_torchs():
    results = {}
    for lib, model in _twins().items():
        opt, sched = _training_run(lib, model)
        _step(lib, model, opt, sched)
        ck = {"model": model, "opt": opt, "sched": sched, "epoch": 1,
              "args": argparse.Namespace(lr=0.1, tags=["a"]), "cfg": Config(8),
              "mean": np.arange(3.0)}
        d = lib.load(_saved(lib, ck), weights_only=False)
        m, o, s = d["model"], d["opt"], d["sched"]
        shared = (o.param_groups[0]["params"][0] is m.fc.weight, s.optimizer is o,
                  all(p in o.state for p in m.fc.parameters()))
        for _ in range(2):
            _step(lib, m, o, s)
            _step(lib, model, opt, sched)
        for (n, p), q in zip(m.named_parameters(), model.parameters()):
            np.testing.assert_array_equal(_np(p), _np(q), err_msg=n)
        results[lib] = (shared, d["epoch"], d["args"], d["cfg"], type(d["mean"]),
                        d["mean"].tolist(), s.get_last_lr(),
                        _np(m(lib.tensor(X))).round(5).tolist())
    assert results[tg] == results[torch]


OLD_FILE_LACKS = ["_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                  "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                  "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                  "_load_state_dict_post_hooks", "_non_persistent_buffers_set",
                  "_backward_pre_hooks"]


@pytest.mark.parametrize("table", OLD_FILE_LACKS)
def test_a_model_of_an_older_file_gets_the_tables_it_lacks_as_in_torch(table):
    """A file of an older torch lacks some of a Module's tables: loading adds them, empty."""
    results = {}
    for lib, model in _twins().items():
        del model.fc.__dict__[table]
        loaded = lib.load(_saved(lib, model), weights_only=False)
        added = loaded.fc.__dict__[table]
        empty = len(added) == 0 and isinstance(added, (set, dict))
        loaded.fc.register_forward_pre_hook(lambda mod, args: None)       # (the tables work)
        loaded.fc.register_forward_hook(lambda mod, args, kwargs, out: out, with_kwargs=True,
                                        always_call=True)
        loaded.fc.register_load_state_dict_post_hook(lambda mod, keys: None)
        results[lib] = (empty, _np(loaded(lib.tensor(X))).round(5).tolist(),
                        list(loaded.state_dict()))
    assert results[tg] == results[torch]


# ================================================================== weights_only
OBJECTS = {  # name → (what each library saves, the global weights_only=True reports first)
    "namespace": (lambda lib: {"args": argparse.Namespace(lr=0.1)}, "argparse.Namespace"),
    "dataclass": (lambda lib: [Config()], f"{__name__}.Config"),
    "object": (lambda lib: {"o": object()}, "object"),
    "numpy_in_object": (lambda lib: {"net": argparse.Namespace(mean=np.ones(2))},
                        "argparse.Namespace"),
    "model": (lambda lib: NETS[lib](), None),
}


@pytest.mark.parametrize("name", OBJECTS)
def test_weights_only_refuses_objects_with_torchs_error(name, tmp_path):
    make, first = OBJECTS[name]
    for lib in (tg, torch):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save(make(lib), path)
        kind, e = _outcome(lambda: lib.load(path))
        assert issubclass(kind, pickle.UnpicklingError), (lib, kind, e)
        cls = NETS[lib]
        shown = first or f"{cls.__module__}.{cls.__qualname__}"
        assert "Weights only load failed" in str(e)
        assert f"Unsupported global: GLOBAL {shown} was not an allowed global by default" \
            in str(e), str(e)
        assert f"add_safe_globals([{shown}])" in str(e)
        if lib is tg:
            assert str(e).startswith(f"{path}: the checkpoint holds ")
        assert lib.load(path, weights_only=False) is not None


SAFE = [  # name, what is saved, the globals marked safe (per library), loads with weights_only
    ("namespace", lambda lib: argparse.Namespace(lr=0.1), lambda lib: [argparse.Namespace]),
    ("dataclass", lambda lib: {"c": Config(3)}, lambda lib: [Config]),
    ("model", lambda lib: NETS[lib](), lambda lib: [NETS[lib], lib.nn.Linear]),
    ("model_half_allowed", lambda lib: NETS[lib](), lambda lib: [NETS[lib]]),
    ("numpy_not_allowed", lambda lib: argparse.Namespace(a=np.ones(2)),
     lambda lib: [argparse.Namespace]),
    ("by_path", lambda lib: Config(5), lambda lib: [(Config, f"{__name__}.Config")]),
    ("tuple_too_short", lambda lib: Config(), lambda lib: [(Config,)]),
    ("tuple_not_a_path", lambda lib: Config(), lambda lib: [(Config, 1)]),
]


def _loaded_summary(value):
    if isinstance(value, (tg.nn.Module, torch.nn.Module)):
        return (type(value).__name__.replace("OurNet", "TorchNet"),
                [n for n, _ in value.named_parameters()], value.training)
    return value


@pytest.mark.parametrize("name,make,allow", SAFE, ids=[s[0] for s in SAFE])
def test_safe_globals_let_weights_only_build_them_as_torch(name, make, allow):
    outcomes = {}
    for lib in (tg, torch):
        buf = _saved(lib, make(lib))
        before = sorted(map(repr, lib.serialization.get_safe_globals()))   # (torch's own)
        with lib.serialization.safe_globals(allow(lib)):
            kind, value = _outcome(lambda: lib.load(buf, weights_only=True))
        assert sorted(map(repr, lib.serialization.get_safe_globals())) == before
        if kind == "ok":
            outcomes[lib] = ("ok", _loaded_summary(value))
        else:
            unsupported = str(value).partition("GLOBAL ")[2].split(" ")[0]
            outcomes[lib] = (issubclass(kind, pickle.UnpicklingError), kind.__name__
                             if not issubclass(kind, pickle.UnpicklingError) else None,
                             str(value) if kind in (ValueError, TypeError) else
                             unsupported.replace("tinygrad_sgd.nn.linear", "torch.nn.modules."
                                                 "linear").replace("OurNet", "TorchNet"))
    assert outcomes[tg] == outcomes[torch]


def test_a_model_torch_saved_whole_loads_with_weights_only_once_its_classes_are_safe():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    buf = _saved(torch, theirs)
    for lib, loads in ((torch, torch.load), (tg, tg.load)):
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="GLOBAL torch.nn.modules.container."
                                                         "Sequential was not an allowed"):
            loads(buf)
        with lib.serialization.safe_globals([lib.nn.Sequential, lib.nn.Linear]):
            buf.seek(0)
            with pytest.raises(pickle.UnpicklingError, match="GLOBAL torch.nn.modules."
                                                             "activation.ReLU was not"):
                loads(buf)
        with lib.serialization.safe_globals([lib.nn.Sequential, lib.nn.Linear, lib.nn.ReLU]):
            buf.seek(0)
            loaded = loads(buf)
        assert type(loaded) is lib.nn.Sequential and type(loaded[1]) is lib.nn.ReLU
        np.testing.assert_allclose(_np(loaded(lib.tensor(X))), _np(theirs(torch.tensor(X))),
                                   rtol=1e-6)


def test_add_get_and_clear_safe_globals_as_torchs():
    for lib in (tg, torch):
        s = lib.serialization
        before = s.get_safe_globals()       # (torch's own entries: put back after)
        try:
            s.clear_safe_globals()
            s.add_safe_globals([Config, argparse.Namespace])
            s.add_safe_globals([Config])
            assert sorted(s.get_safe_globals(), key=str) == sorted([Config, argparse.Namespace],
                                                                   key=str)
            assert lib.load(_saved(lib, Config(2)), weights_only=True) == Config(2)
            s.clear_safe_globals()
            assert s.get_safe_globals() == []
        finally:
            s.clear_safe_globals()
            s.add_safe_globals(before)


UNSAFE_FILES = [  # what torch saves: get_unsafe_globals_in_checkpoint lists the same names
    ("state_dict", lambda: torch.nn.Linear(2, 2).state_dict(), []),
    ("module", lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), []),
    ("objects", lambda: {"a": argparse.Namespace(x=np.ones(2)), "d": collections.defaultdict(
        list), "c": Config()}, []),
    ("objects_some_safe", lambda: {"a": argparse.Namespace(), "c": Config()},
     [argparse.Namespace]),
]


@pytest.mark.parametrize("name,make,allowed", UNSAFE_FILES, ids=[u[0] for u in UNSAFE_FILES])
def test_unsafe_globals_in_a_checkpoint_are_torchs(name, make, allowed, tmp_path):
    path = tmp_path / "ck.pt"
    torch.save(make(), path)
    found = {}
    for lib in (tg, torch):
        with lib.serialization.safe_globals(allowed):
            found[lib] = set(lib.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    assert found[tg] == found[torch]
    ours = tmp_path / "ours.pt"
    tg.save({"model": OurNet(), "args": argparse.Namespace()}, ours)
    assert set(torch.serialization.get_unsafe_globals_in_checkpoint(str(ours))) == \
        set(tg.serialization.get_unsafe_globals_in_checkpoint(str(ours)))


ENV = [  # TORCH_FORCE_WEIGHTS_ONLY_LOAD, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD, weights_only
    ("1", None, None), ("1", None, False), (None, "1", None), (None, "true", True),
    (None, "yes", False), ("1", "1", None), ("0", "0", None),
]


@pytest.mark.parametrize("force,force_no,weights_only", ENV)
def test_the_environment_variables_decide_weights_only_as_in_torch(force, force_no,
                                                                   weights_only, monkeypatch):
    for var, value in (("TORCH_FORCE_WEIGHTS_ONLY_LOAD", force),
                       ("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", force_no)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    outcomes = {}
    for lib in (tg, torch):
        buf = _saved(lib, argparse.Namespace(a=1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kind, value = _outcome(lambda: lib.load(buf, weights_only=weights_only))
        warned = [str(w.message) for w in caught if "TORCH_FORCE_NO" in str(w.message)]
        outcomes[lib] = (kind if kind == "ok" else issubclass(kind, pickle.UnpicklingError)
                         or (kind, str(value)), value if kind == "ok" else None, warned)
    assert outcomes[tg] == outcomes[torch]


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_a_pickle_module_given_decides_weights_only_as_in_torch(weights_only):
    outcomes = []
    for lib in (tg, torch):
        kind, value = _outcome(lambda: lib.load(_saved(lib, argparse.Namespace(a=1)),
                                                pickle_module=pickle,
                                                weights_only=weights_only))
        outcomes.append((kind, value if kind == "ok" else str(value)))
    assert outcomes[0] == outcomes[1]


# ================================================================== what can't be saved or loaded
def test_what_pickle_cannot_pickle_raises_its_error_and_keeps_the_old_file(tmp_path):
    kinds = {}
    for lib in (tg, torch):
        model = NETS[lib]()
        model.act = lambda x: x          # (a local lambda: Python 3.11's C pickler raises
        kinds[lib] = _outcome(lambda: lib.save(model, tmp_path / f"{lib.__name__}.pt"))[0]
    assert kinds[tg] is kinds[torch]     # AttributeError, not PicklingError, for it)
    for lib in (tg, torch):
        model = NETS[lib]()
        model.act = UNPICKLABLE
        kinds[lib] = _outcome(lambda: lib.save(model, tmp_path / f"{lib.__name__}.pt"))[0]
    assert kinds[tg] is kinds[torch] is pickle.PicklingError
    path = tmp_path / "ck.pt"
    tg.save({"w": tg.ones(2)}, path)
    old = path.read_bytes()
    with pytest.raises(pickle.PicklingError):
        tg.save({"model": model}, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt", "torch.pt"]   # (torch's
    # save leaves a broken file; ours writes none)


def test_a_class_gone_when_loading_raises_picklings_attribute_error(monkeypatch):
    saved = {lib: _saved(lib, {"v": Vanishing()}) for lib in (tg, torch)}
    monkeypatch.delattr(sys.modules[__name__], "Vanishing")
    for lib, buf in saved.items():
        with pytest.raises(AttributeError, match="Vanishing"):
            lib.load(buf, weights_only=False)


# ================================================================== models real torch saved
def _seq_dense(m):
    return m.nn.Sequential(
        m.nn.Linear(4, 8), m.nn.ReLU(), m.nn.Linear(8, 8, bias=False), m.nn.GELU(),
        m.nn.LeakyReLU(0.2), m.nn.ELU(), m.nn.SiLU(), m.nn.Tanh(), m.nn.Sigmoid(),
        m.nn.Identity(), m.nn.Dropout(0.5), m.nn.LayerNorm(8), m.nn.Linear(8, 3),
        m.nn.LogSoftmax(dim=1))


def _seq_conv2d(m):
    return m.nn.Sequential(
        m.nn.Conv2d(2, 4, 3, padding=1), m.nn.BatchNorm2d(4), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Dropout2d(0.5), m.nn.Conv2d(4, 4, 3, padding="same", groups=2,
                                         padding_mode="reflect"),
        m.nn.GroupNorm(2, 4), m.nn.ConvTranspose2d(4, 3, 2, stride=2), m.nn.AvgPool2d(2),
        m.nn.AdaptiveAvgPool2d(1), m.nn.Flatten())


def _seq_conv1d_3d(m):
    return m.nn.ModuleList([
        m.nn.Sequential(m.nn.Conv1d(2, 4, 3), m.nn.BatchNorm1d(4), m.nn.Dropout1d(0.5),
                        m.nn.MaxPool1d(2), m.nn.ConvTranspose1d(4, 2, 3, stride=2)),
        m.nn.Sequential(m.nn.Conv3d(2, 2, 2), m.nn.BatchNorm3d(2, momentum=None))])


def _call_conv1d_3d(m, mod, x):
    return mod[0](x[:, :, :, 0, 0]).sum() + mod[1](x).sum()


def _heads(m):
    return m.nn.ModuleDict({"a": m.nn.Linear(4, 4), "bi": m.nn.Bilinear(4, 4, 3),
                            "heads": m.nn.ModuleList([m.nn.Linear(3, 3), m.nn.Softmax(dim=1)]),
                            "losses": m.nn.ModuleList([m.nn.CrossEntropyLoss(label_smoothing=0.1),
                                                       m.nn.MSELoss(reduction="sum"),
                                                       m.nn.NLLLoss(ignore_index=1)])})


def _call_heads(m, mod, x):
    h = mod["bi"](mod["a"](x), x)
    p = mod["heads"][1](mod["heads"][0](h))
    target = m.tensor([0, 1, 2, 1, 0])
    ce, mse, nll = mod["losses"]
    return ce(h, target) + mse(p, m.zeros(5, 3)) + nll(h.log_softmax(1), target) + p.sum(0)


TORCH_MODELS = [  # name, build(m), input shape (or "ids"), call(m, module, x) or None
    ("dense", _seq_dense, (5, 4), None),
    ("conv2d", _seq_conv2d, (2, 2, 8, 8), None),
    ("conv1d_3d", _seq_conv1d_3d, (2, 2, 6, 3, 3), _call_conv1d_3d),
    ("heads", _heads, (5, 4), _call_heads),
    ("embedding", lambda m: m.nn.Embedding(6, 3, padding_idx=0, max_norm=None), "ids", None),
    ("lstm", lambda m: m.nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3),
     lambda m, mod, x: mod(x)[0]),
    ("gru", lambda m: m.nn.GRU(3, 4, bidirectional=True), (5, 2, 3),
     lambda m, mod, x: mod(x)[0]),
    ("rnn", lambda m: m.nn.RNN(3, 4, nonlinearity="relu"), (5, 2, 3),
     lambda m, mod, x: mod(x)[1]),
    ("mha", lambda m: m.nn.MultiheadAttention(8, 2, batch_first=True), (2, 3, 8),
     lambda m, mod, x: mod(x, x, x)[0]),
    ("encoder_layer", lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                             batch_first=True), (2, 3, 8), None),
]
_INTERNAL = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"}


def _same_attribute(a, b):
    if callable(a) and not isinstance(a, type):
        return callable(b) and a.__name__ == b.__name__            # (F.relu: torch's, ours)
    return type(a) is type(b) and a == b


def _lam(epoch):
    return 0.9 ** epoch


TORCH_TRAINING = [  # optimizer, its options, scheduler, its options
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), "StepLR", dict(step_size=1, gamma=0.5)),
    ("Adam", dict(lr=0.05, amsgrad=True), "MultiStepLR", dict(milestones=[1, 3])),
    ("AdamW", dict(lr=0.05), "CosineAnnealingLR", dict(T_max=5)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True), "OneCycleLR",
     dict(max_lr=0.1, total_steps=10)),
    ("Adagrad", dict(lr=0.1), "LambdaLR", dict(lr_lambda=_lam)),
    ("SGD", dict(lr=0.1), "ExponentialLR", dict(gamma=0.9)),
    ("Adam", dict(lr=0.05), "LinearLR", dict()),
    ("SGD", dict(lr=0.1), "ReduceLROnPlateau", dict(patience=0)),
]


def test_every_torch_class_loaded_from_a_whole_object_is_checked_below():
    covered = set()
    for _, build, _, _ in TORCH_MODELS:
        covered |= {type(m).__name__ for m in build(torch).modules()}
    covered |= {c[0] for c in TORCH_TRAINING} | {c[2] for c in TORCH_TRAINING}
    assert covered == TORCH_CLASSES


@pytest.mark.parametrize("name,build,shape,call", TORCH_MODELS, ids=[c[0] for c in TORCH_MODELS])
def test_a_model_torch_saved_whole_loads_as_ours_with_torchs_outputs_and_gradients(
        name, build, shape, call):
    call = call or (lambda m, mod, x: mod(x))
    x = (np.array([[0, 1, 5], [3, 0, 2]]) if shape == "ids" else
         np.random.default_rng(1).standard_normal(shape).astype(np.float32))
    torch.manual_seed(0)
    theirs = build(torch)
    with torch.no_grad():
        call(torch, theirs, torch.from_numpy(x))          # (batch norms: running stats move)
    loaded = tg.load(_saved(torch, theirs), weights_only=False)
    fresh = build(tg)
    for (path, t), (path2, o), f in zip(theirs.named_modules(), loaded.named_modules(),
                                        fresh.modules()):
        assert path == path2 and type(o) is type(f) and type(o).__name__ == type(t).__name__
        assert set(vars(o)) == set(vars(f)), (path, set(vars(o)) ^ set(vars(f)))
        for k, v in vars(o).items():
            assert type(v) is type(vars(f)[k]), (path, k)      # (hook tables, dicts: ours)
            if not k.startswith("_") or k in _INTERNAL:
                if k not in _INTERNAL:
                    assert _same_attribute(vars(t)[k], v), (path, k, vars(t)[k], v)
        assert o.training and list(o._non_persistent_buffers_set) == \
            list(t._non_persistent_buffers_set)
    assert [(n, type(p).__name__, p.requires_grad, _np(p).tolist()) for n, p in
            loaded.named_parameters()] == [(n, type(p).__name__, p.requires_grad,
                                            _np(p).tolist()) for n, p in theirs.named_parameters()]
    for (n, b), (_, c) in zip(loaded.named_buffers(), theirs.named_buffers()):
        np.testing.assert_array_equal(_np(b), _np(c), err_msg=n)
    for m, mod in ((torch, theirs), (tg, loaded)):
        mod.eval()
    outs, grads = {}, {}
    for m, mod in ((torch, theirs), (tg, loaded)):
        out = call(m, mod, m.tensor(x))
        weights = m.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape))
        (out * weights).sum().backward()
        outs[m] = _np(out)
        grads[m] = [(n, None if p.grad is None else _np(p.grad))
                    for n, p in mod.named_parameters()]
    np.testing.assert_allclose(outs[tg], outs[torch], rtol=1e-4, atol=1e-5)
    for (n, g), (_, h) in zip(grads[tg], grads[torch]):
        assert (g is None) == (h is None), n
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-4, atol=1e-5, err_msg=n)


PROGRAM = '''
import torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU())
        self.head = torch.nn.Linear(5, 2)
        self.register_buffer("offset", torch.ones(2))
    def forward(self, x):
        return torch.tanh(self.head(self.body(x))) + self.offset
'''


def test_a_programs_model_torch_saved_whole_loads_where_torch_is_the_library(tmp_path,
                                                                            monkeypatch):
    """The module of the program's class, imported once by real torch (to save) and once with
    ``torch`` as this library (as ``tinygrad-sgd run`` imports it, to load)."""
    from tinygrad_sgd._torch_shim import torch_modules
    (tmp_path / "prog_net.py").write_text(PROGRAM)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "prog_net", None)      # (taken away after the test)
    del sys.modules["prog_net"]
    theirs = importlib.import_module("prog_net").Net()
    buf = _saved(torch, {"model": theirs, "epoch": 2})
    with torch.no_grad():
        expected = _np(theirs(torch.from_numpy(X)))
    with pytest.raises(serialization.CheckpointError, match="prog_net.Net, which derives from "
                                                            "real PyTorch"):
        tg.load(buf, weights_only=False)             # (prog_net's Net is real torch's here)
    del sys.modules["prog_net"]
    with torch_modules():
        ours_cls = importlib.import_module("prog_net").Net
        buf.seek(0)
        loaded = tg.load(buf, weights_only=False)["model"]
    assert type(loaded) is ours_cls and isinstance(loaded, tg.nn.Module)
    np.testing.assert_allclose(_np(loaded(tg.tensor(X))), expected, rtol=1e-5, atol=1e-6)
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in theirs.named_parameters()]


REFUSED = [  # what torch pickled whole, the message
    ("unchecked_class", lambda: torch.nn.PReLU(), r"whole torch\.nn\.modules\.activation\.PReLU"
                                                   r" pickled by PyTorch.*state_dict\(\)"),
    ("optimizer", lambda: torch.optim.Adamax(torch.nn.Linear(2, 2).parameters(), lr=0.1),
     r"whole torch\.optim\.adamax\.Adamax pickled by PyTorch.*optimizer\.state_dict\(\)"),
    ("dataset", lambda: torch.utils.data.TensorDataset(torch.ones(2)),
     r"whole torch\.utils\.data\.dataset\.TensorDataset pickled .*plain values"),
    ("users_torch_class", lambda: TorchNet(), rf"{__name__}\.TorchNet, which derives from real "
                                               rf"PyTorch"),
]


@pytest.mark.parametrize("name,make,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_what_cannot_be_built_from_torchs_pickle_is_refused_naming_it(name, make, message):
    buf = _saved(torch, make())
    assert torch.load(buf, weights_only=False) is not None            # (torch loads it)
    buf.seek(0)
    with pytest.raises(serialization.CheckpointError, match=message):
        tg.load(buf, weights_only=False)


TUTORIAL = '''
import argparse, torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 8)
        self.fc2 = torch.nn.Linear(8, 2)
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
torch.manual_seed(0)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x = torch.arange(12.0).reshape(3, 4) / 10
model(x).sum().backward()
opt.step()
torch.save({"model": model, "opt": opt, "args": argparse.Namespace(lr=0.01)}, "whole.pt")
try:
    torch.load("whole.pt")
except Exception as e:
    print(isinstance(e, __import__("pickle").UnpicklingError), "__main__.Net" in str(e))
ck = torch.load("whole.pt", weights_only=False)
model = ck["model"]
model.eval()
opt = ck["opt"]
print(opt.param_groups[0]["params"][0] is model.fc1.weight, ck["args"].lr)
opt.zero_grad()
model(x).sum().backward()
opt.step()
print(" ".join(f"{v:.5f}" for v in model(x)[0].tolist()))
'''


def test_the_tutorials_save_load_entire_model_runs_as_with_torch(tmp_path):
    """torch's tutorial "Save/Load Entire Model", run by torch and by ``tinygrad-sgd run``."""
    import os
    import subprocess
    script = tmp_path / "tutorial.py"
    script.write_text(TUTORIAL)
    shim = [os.path.join(os.path.dirname(sys.executable), "tinygrad-sgd"), "run"]
    if not os.path.exists(shim[0]):
        shim = [sys.executable, "-m", "tinygrad_sgd.as_torch"]
    outputs = []
    for cmd in ([sys.executable], shim):
        done = subprocess.run(cmd + [str(script)], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout.split())
    assert outputs[1] == outputs[0]
    assert outputs[0][:4] == ["True", "True", "True", "0.01"]


def _torch_training_step(m, model, opt, sched, x):
    opt.zero_grad()
    loss = (model(m.tensor(x)) ** 2).mean()
    loss.backward()
    opt.step()
    if type(sched).__name__ == "ReduceLROnPlateau":
        sched.step(loss.item())
    else:
        sched.step()


@pytest.mark.parametrize("opt_name,okw,sched_name,skw", TORCH_TRAINING,
                         ids=[f"{c[0]}-{c[2]}" for c in TORCH_TRAINING])
def test_an_optimizer_and_scheduler_torch_saved_whole_continue_as_torchs(opt_name, okw,
                                                                         sched_name, skw):
    x = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt = getattr(torch.optim, opt_name)(model.parameters(), **okw)
    sched = getattr(torch.optim.lr_scheduler, sched_name)(opt, **skw)
    _torch_training_step(torch, model, opt, sched, x)
    d = tg.load(_saved(torch, {"model": model, "opt": opt, "sched": sched}), weights_only=False)
    m, o, s = d["model"], d["opt"], d["sched"]
    fresh = getattr(tg.optim, opt_name)(tg.nn.Linear(1, 1).parameters(), **okw)
    assert set(vars(o)) == set(vars(fresh)) and o.defaults == fresh.defaults
    assert s.optimizer is o and o.param_groups[0]["params"][0] is m[0].weight
    for _ in range(3):
        _torch_training_step(torch, model, opt, sched, x)
        _torch_training_step(tg, m, o, s, x)
    for (n, p), q in zip(m.named_parameters(), model.parameters()):
        np.testing.assert_allclose(_np(p), _np(q), rtol=1e-5, atol=1e-6, err_msg=n)
    assert [g["lr"] for g in o.param_groups] == pytest.approx([g["lr"] for g in
                                                               opt.param_groups])
