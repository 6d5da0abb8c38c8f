"""More of torch's Python-level API taken as torch takes it: the signatures of save/load,
autograd.grad/backward, Tensor.backward, Module.load_state_dict and Module.modules;
``load_state_dict(assign=True)`` (the state dict's tensors become the module's: their dtype
and memory), its printed result, ``modules(remove_duplicate=False)``, and ``load``'s
``map_location`` / ``weights_only`` / ``mmap``."""
import inspect

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

PAIRS = [
    ("save", tg.save, torch.save), ("load", tg.load, torch.load),
    ("autograd.grad", tg.autograd.grad, torch.autograd.grad),
    ("autograd.backward", tg.autograd.backward, torch.autograd.backward),
    ("Tensor.backward", tg.Tensor.backward, torch.Tensor.backward),
    ("Module.load_state_dict", tg.nn.Module.load_state_dict, torch.nn.Module.load_state_dict),
    ("Module.modules", tg.nn.Module.modules, torch.nn.Module.modules),
    ("Module.named_modules", tg.nn.Module.named_modules, torch.nn.Module.named_modules),
]


@pytest.mark.parametrize("name,ours,theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_signature_names_are_torchs(name, ours, theirs):
    def params(f):
        return [(n, p.kind) for n, p in inspect.signature(f).parameters.items()]
    assert params(ours) == params(theirs)


def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 2), L.nn.BatchNorm1d(2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_load_state_dict_assign_takes_the_state_dicts_tensors(dtype):
    seen = []
    for L in (tg, torch):
        m = _model(L)
        m[0].weight.requires_grad_(False)
        sd = {k: v.detach().to(getattr(L, dtype)) + 1 for k, v in m.state_dict().items()}
        result = m.load_state_dict(sd, assign=True)
        w, b, mean = m[0].weight, m[0].bias, m[1].running_mean
        with L.no_grad():
            sd["0.weight"][0, 0] = 42.0                 # the module shares the memory
        seen.append((repr(result), str(w.dtype).split(".")[-1], type(w).__name__,
                     w.requires_grad, b.requires_grad, str(mean.dtype).split(".")[-1],
                     w.detach().numpy().tolist(), mean.numpy().tolist()))
    assert seen[0] == seen[1]


def test_load_state_dict_result_prints_as_torchs():
    for L in (tg, torch):
        m = L.nn.Linear(2, 2)
        assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    ours = tg.nn.Linear(2, 2).load_state_dict({"weight": tg.zeros(2, 2)}, strict=False)
    theirs = torch.nn.Linear(2, 2).load_state_dict({"weight": torch.zeros(2, 2)},
                                                   strict=False)
    assert repr(ours) == repr(theirs) == ("_IncompatibleKeys(missing_keys=['bias'], "
                                          "unexpected_keys=[])")
    assert ours == theirs == (["bias"], [])


def test_modules_with_and_without_duplicates():
    counts = []
    for L in (tg, torch):
        shared = L.nn.Linear(2, 2)
        m = L.nn.Sequential(shared, L.nn.ReLU(), shared)
        counts.append((len(list(m.modules())), len(list(m.modules(remove_duplicate=False)))))
    assert counts[0] == counts[1] == (3, 4)


@pytest.mark.parametrize("map_location", [None, "cpu", tg.device("cpu"), torch.device("cpu"),
                                          {"cpu": "cpu"}, "identity", "none", "double"])
def test_load_map_location_on_the_cpu(tmp_path, map_location):
    path = tmp_path / "ck.pt"
    tg.save({"w": tg.tensor([1.0, 2.0]), "step": 3}, path)
    functions = {"identity": lambda s, loc: s, "none": lambda s, loc: None,
                 "double": lambda s, loc: s * 2}
    ml = functions.get(map_location, map_location) if isinstance(map_location, str) \
        else map_location
    out = tg.load(path, map_location=ml, weights_only=True, mmap=False)
    factor = 2.0 if map_location == "double" else 1.0
    assert out["step"] == 3 and out["w"].tolist() == [factor, 2 * factor]


@pytest.mark.parametrize("map_location", ["cuda", "cuda:1", {"cpu": "cuda:0"}])
def test_load_to_cuda_fails_as_a_cpu_only_torch(tmp_path, map_location):
    path = tmp_path / "ck.pt"
    tg.save({"w": tg.ones(2)}, path)
    torch.save({"w": torch.ones(2)}, tmp_path / "t.pt")
    message = r"Attempting to deserialize object on a CUDA device but .*is_available\(\) is False"
    with pytest.raises(RuntimeError, match=message):
        torch.load(tmp_path / "t.pt", map_location=map_location)
    with pytest.raises(RuntimeError, match=message):
        tg.load(path, map_location=map_location)


def test_save_takes_torchs_pickling_options(tmp_path):
    import pickle
    tg.save({"w": tg.ones(2)}, tmp_path / "a.pt", pickle_module=pickle, pickle_protocol=4,
            _use_new_zipfile_serialization=False)
    assert tg.load(tmp_path / "a.pt", pickle_module=pickle, encoding="latin1")["w"].tolist() \
        == [1.0, 1.0]
