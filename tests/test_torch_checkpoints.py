"""Files written by PyTorch's own ``torch.save`` load with ``tinygrad_sgd.load``
(:mod:`tinygrad_sgd.serialization_torch`): state_dicts, parameters, optimizer states, views
that share a storage, every dtype we have — compared with what torch's ``torch.load`` gives."""
import io

import pickle

import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    assert isinstance(ours, tg.Tensor)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


class TorchCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = torch.nn.Linear(320, 50)
        self.fc2 = torch.nn.Linear(50, 10)

    def forward(self, x):
        F = torch.nn.functional
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


def test_a_torch_state_dict_loads_into_our_model_and_gives_torchs_outputs(tmp_path):
    from tinygrad_sgd.models import SimpleCNN
    torch.manual_seed(0)
    theirs = TorchCNN()
    torch.save(theirs.state_dict(), tmp_path / "cnn.pt")
    sd = tg.load(tmp_path / "cnn.pt")
    expected = torch.load(tmp_path / "cnn.pt")
    assert list(sd) == list(expected) and type(sd).__name__ == "OrderedDict"
    for k in expected:
        _same(sd[k], expected[k])
        assert not sd[k].requires_grad
    ours = SimpleCNN()
    ours.load_state_dict(sd)
    ours.eval()                     # (no dropout: the torch model above has none)
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_every_dtype_loads_as_saved(tmp_path, dtype):
    t = (torch.arange(-3, 9).reshape(3, 4) % 5).to(getattr(torch, dtype))
    torch.save({"t": t, "scalar": t[1, 2].clone(), "empty": t[:0]}, tmp_path / "d.pt")
    loaded, expected = tg.load(tmp_path / "d.pt"), torch.load(tmp_path / "d.pt")
    for k in expected:
        _same(loaded[k], expected[k])


def test_parameters_and_requires_grad_load_as_saved(tmp_path):
    lin = torch.nn.Linear(3, 2)
    plain = torch.ones(2, requires_grad=True)
    torch.save({"params": list(lin.parameters()), "leaf": plain, "frozen": torch.zeros(1)},
               tmp_path / "p.pt")
    loaded = tg.load(tmp_path / "p.pt")
    assert all(isinstance(p, tg.nn.Parameter) and p.requires_grad for p in loaded["params"])
    _same(loaded["params"][0].detach(), lin.weight.detach())
    assert not isinstance(loaded["leaf"], tg.nn.Parameter) and loaded["leaf"].requires_grad
    assert not loaded["frozen"].requires_grad


def test_views_of_one_storage_share_memory_after_loading_as_torchs(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    torch.save({"base": base, "row": base[1], "t": base.t(), "col": base[:, 2],
                "again": base}, tmp_path / "v.pt")
    loaded, expected = tg.load(tmp_path / "v.pt"), torch.load(tmp_path / "v.pt")
    for k in expected:
        _same(loaded[k], expected[k])
    assert loaded["again"] is loaded["base"]
    assert loaded["t"].stride() == expected["t"].stride()
    assert loaded["col"].stride() == expected["col"].stride()
    loaded["base"].add_(100)
    expected["base"].add_(100)
    for k in ("row", "t", "col"):
        _same(loaded[k], expected[k])


def test_an_optimizers_state_from_torch_continues_training_as_torch(tmp_path):
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((8, 4)).astype(np.float32),
                rng.standard_normal((8, 3)).astype(np.float32)) for _ in range(5)]

    def torch_step(x, y):
        opt.zero_grad()
        loss = ((model(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        loss.backward()
        opt.step()
    for x, y in batches[:3]:
        torch_step(x, y)
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.pt")
    for x, y in batches[3:]:
        torch_step(x, y)

    ck = tg.load(tmp_path / "ck.pt")
    ours = tg.nn.Linear(4, 3)
    ours.load_state_dict(ck["model"])
    our_opt = tg.optim.Adam(ours.parameters(), lr=0.05)
    our_opt.load_state_dict(ck["opt"])
    for x, y in batches[3:]:
        our_opt.zero_grad()
        loss = ((ours(tg.tensor(x)) - tg.tensor(y)) ** 2).mean()
        loss.backward()
        our_opt.step()
    np.testing.assert_allclose(ours.weight.detach().numpy(), model.weight.detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.bias.detach().numpy(), model.bias.detach().numpy(),
                               rtol=1e-6, atol=1e-7)


def test_a_file_object_and_plain_values_load_too():
    buf = io.BytesIO()
    torch.save({"lr": 0.1, "name": "run", "steps": [1, 2], "pair": (None, True),
                "size": torch.Size([2, 3]), "w": torch.ones(2)}, buf)
    buf.seek(0)
    loaded = tg.load(buf)
    assert loaded["lr"] == 0.1 and loaded["name"] == "run" and loaded["steps"] == [1, 2]
    assert loaded["pair"] == (None, True) and tuple(loaded["size"]) == (2, 3)
    assert loaded["w"].tolist() == [1.0, 1.0]


def test_what_only_a_full_unpickling_builds_is_refused_naming_it(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")       # a whole module, pickled
    with pytest.raises(pickle.UnpicklingError,      # (torch's class: refused by weights_only)
                       match=r"module.pt: the checkpoint holds torch\.nn\.modules.*state_dict\(\)"):
        tg.load(tmp_path / "module.pt")
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.pt")
    with pytest.raises(ValueError, match="bf16.pt: torch.BFloat16Storage"):
        tg.load(tmp_path / "bf16.pt")


def test_map_location_applies_to_a_torch_file(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    assert tg.load(tmp_path / "w.pt", map_location="cpu")["w"].tolist() == [1.0, 1.0]
    doubled = tg.load(tmp_path / "w.pt", map_location=lambda t, where: t * 2)
    assert doubled["w"].tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        tg.load(tmp_path / "w.pt", map_location="cuda")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool", "uint16", "uint32", "uint64"])
def test_what_we_save_torch_loads_as_saved(tmp_path, dtype):
    a = (np.arange(-3, 9).reshape(3, 4) % 5).astype(dtype)
    t = tg.tensor(a)
    tg.save({"t": t, "tt": t.t(), "flipped": tg.tensor(a[::-1]), "scalar": tg.tensor(a[1, 2]),
             "empty": t[:0], "strided": tg.tensor(a[:, ::2])}, tmp_path / "ours.pt")
    # (a Tensor of a NumPy view; a NumPy array itself is NumPy's pickle, as in torch.save)
    theirs = torch.load(tmp_path / "ours.pt")
    for k, expected in (("t", a), ("tt", a.T), ("flipped", a[::-1]), ("scalar", a[1, 2]),
                        ("empty", a[:0]), ("strided", a[:, ::2])):
        assert str(theirs[k].dtype) == f"torch.{dtype}"
        assert tuple(theirs[k].shape) == expected.shape
        np.testing.assert_array_equal(theirs[k].numpy(), expected)
    assert theirs["tt"].stride() == (1, 4)              # a view of t's storage, as torch's
    back = tg.load(tmp_path / "ours.pt")
    for k in theirs:
        _same(back[k], theirs[k])


def test_a_model_trained_here_runs_in_torch_with_the_same_outputs(tmp_path):
    from tinygrad_sgd.models import SimpleCNN
    tg.manual_seed(3)
    ours = SimpleCNN()
    opt = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(3).standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = np.arange(8) % 10
    for _ in range(2):
        opt.zero_grad()
        tg.nn.functional.nll_loss(ours(tg.tensor(x)), tg.tensor(y)).backward()
        opt.step()
    tg.save({"model": ours.state_dict(), "opt": opt.state_dict()}, tmp_path / "trained.pt")
    ck = torch.load(tmp_path / "trained.pt")
    theirs = TorchCNN()
    theirs.load_state_dict(ck["model"])
    ours.eval()
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(tg.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    t_opt.load_state_dict(ck["opt"])                    # the momentum buffers, as torch's
    assert len(t_opt.state) == 8


def test_saving_to_a_stream_that_cannot_seek_or_tell_gives_a_file_torch_reads():
    class Pipe:                       # (a socket's or a pipe's file: write, flush, nothing else)
        def __init__(self):
            self.buffer = io.BytesIO()

        def write(self, b):
            return self.buffer.write(b)

        def flush(self):
            pass
    pipe = Pipe()
    tg.save({"w": tg.arange(6.0).reshape(2, 3), "n": 3}, pipe)
    theirs = torch.load(io.BytesIO(pipe.buffer.getvalue()))
    assert theirs["n"] == 3 and theirs["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert tg.load(io.BytesIO(pipe.buffer.getvalue()))["w"].tolist() == theirs["w"].tolist()
