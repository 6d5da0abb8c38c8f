"""Tensors in shared memory and torch.multiprocessing (tinygrad_sgd.shared_memory,
tinygrad_sgd.multiprocessing): a child process's in-place updates reach the parent, as torch's.
Before, ``share_memory()`` did nothing and a Hogwild program's parent kept its initial weights."""
import multiprocessing
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.multiprocessing as tmp
from tinygrad_sgd import nn
from tinygrad_sgd.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORK = multiprocessing.get_context("fork")


def _run(argv, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


HOGWILD = '''
import sys
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F


def train(rank, model, steps):
    torch.manual_seed(100 + rank)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def from_queue(rank, q, done):
    t = q.get()
    t.mul_(10)
    done.put(t.sum().item())


if __name__ == "__main__":
    method = sys.argv[1]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    model.share_memory()
    print(all(p.is_shared() for p in model.parameters()))
    ctx = mp.get_context(method)
    for rank in range(2):              # one after the other: the numbers are deterministic
        p = ctx.Process(target=train, args=(rank, model, 4))
        p.start()
        p.join()
        print(rank, p.exitcode)
    torch.set_printoptions(precision=6)
    for name, p in model.named_parameters():
        print(name, p.detach())
    mp.start_processes(train, args=(model, 2), nprocs=1, start_method=method)
    print(model[0].bias.detach())
    q, done = ctx.Queue(), ctx.Queue()
    b = torch.ones(2, 3)     # (put after the fork: no queue thread may hold a lock across it)
    child = mp.start_processes(from_queue, args=(q, done), nprocs=1, join=False,
                               start_method=method)
    q.put(b)
    print(b, b.is_shared(), done.get())
    while not child.join():
        pass
'''


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_hogwild_program_prints_torchs_numbers(method, tmp_path):
    """The same program under torch and under ``tinygrad-sgd run`` (its spawned children
    import the library as torch too): the children's training reaches the parent's model."""
    (tmp_path / "hogwild.py").write_text(HOGWILD)
    theirs = _run([sys.executable, "hogwild.py", method], tmp_path)
    ours = _run([sys.executable, "-m", "tinygrad_sgd.as_torch", "hogwild.py", method], tmp_path)
    assert ours == theirs
    assert "tensor([[10., 10., 10.]" in ours


def _train_in_child(model, opt_cls, kwargs, steps=3):
    torch_free_seed = 7
    tg.manual_seed(torch_free_seed)
    opt = opt_cls(model.parameters(), **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(tg.randn(6, 4)), tg.randn(6, 2)).backward()
        opt.step()


OPTIMIZERS = [(tg.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
              (tg.optim.Adam, dict(lr=0.01)), (tg.optim.AdamW, dict(lr=0.01)),
              (tg.optim.RMSprop, dict(lr=0.01, momentum=0.5)),
              (tg.optim.Adagrad, dict(lr=0.1)), (tg.optim.Adamax, dict(lr=0.01)),
              (tg.optim.NAdam, dict(lr=0.01)), (tg.optim.RAdam, dict(lr=0.01)),
              (tg.optim.Adadelta, dict(lr=1.0)), (tg.optim.ASGD, dict(lr=0.01)),
              (tg.optim.Rprop, dict(lr=0.01))]


@pytest.mark.parametrize("opt_cls, kwargs", OPTIMIZERS, ids=[o.__name__ for o, _ in OPTIMIZERS])
def test_every_optimizer_updates_shared_parameters_in_place(opt_cls, kwargs):
    """A forked child trains the shared model: the parent sees exactly the weights the same
    steps give in this process (no optimizer puts new memory under a parameter)."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    twin = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    twin.load_state_dict(model.state_dict())
    model.share_memory()
    p = FORK.Process(target=_train_in_child, args=(model, opt_cls, kwargs))
    p.start()
    p.join()
    assert p.exitcode == 0
    _train_in_child(twin, opt_cls, kwargs)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.array_equal(model[0].weight.detach().numpy(),
                              nn.Sequential(nn.Linear(4, 3)).state_dict()["0.weight"].numpy())


def _writes(model, state):
    with tg.no_grad():
        model.weight -= 1.0                       # a manual SGD-style update
        model.bias.data.add_(2.0)
    model.load_state_dict(state, strict=False)    # copied into the parameters, as torch


def test_manual_updates_and_load_state_dict_keep_parameters_shared():
    model = nn.Linear(3, 2)
    model.share_memory()
    state = {"weight": tg.full((2, 3), 5.0)}
    p = FORK.Process(target=_writes, args=(model, state))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert model.weight.detach().numpy().tolist() == [[5.0] * 3] * 2
    assert model.weight.is_shared() and model.bias.is_shared()


def test_share_memory_keeps_values_dtypes_layouts_and_views_together():
    cases = [tg.arange(12).view(3, 4).t(), tg.randn(2, 3, 4)[:, 1], tg.zeros(0),
             tg.tensor([True, False]), tg.randn(3).half(), tg.randn(4, 4)[::2, 1:]]
    for t in cases:
        before = t.numpy().copy()
        stride = t.stride()
        assert t.is_shared() is False
        assert t.share_memory_() is t and t.is_shared()
        assert np.array_equal(t.numpy(), before) and t.stride() == stride
        assert t.share_memory_() is t                   # (once is enough)
    base = tg.zeros(5)
    view = base[1:4]
    other = base.view(5, 1)
    view.share_memory_()            # the whole storage moves, its base and views with it
    assert base.is_shared() and other.is_shared()
    base[2] = 3.0
    assert view.tolist() == [0.0, 3.0, 0.0] and other[2, 0].item() == 3.0


def test_share_memory_counts_in_place_changes_on():
    w = tg.ones(3, requires_grad=True)
    x = w * 1
    y = x.sin()                                        # (saves x)
    with tg.no_grad():
        x.add_(1)                                      # before: its version moved
    x.share_memory_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_share_memory_warns_when_something_else_keeps_the_old_memory():
    with tg.no_grad():
        c = tg.zeros(3)
        u = c[1:]                          # a view made under no_grad is not recorded
    with pytest.warns(UserWarning, match="keeps the old memory"):
        c.share_memory_()
    assert c.is_shared() and not u.is_shared()
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # a model trained a few steps: nothing else holds it
        model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
        opt = tg.optim.Adam(model.parameters())
        for _ in range(2):
            opt.zero_grad()
            model(tg.randn(5, 4)).sum().backward()
            opt.step()
        model.share_memory()
    assert all(p.is_shared() and p.grad.is_shared() for p in model.parameters())


def test_lazy_parameters_refuse_as_torch():
    model = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        model.share_memory()


def test_multiprocessings_pickler_sends_references_and_plain_pickle_copies():
    from multiprocessing.reduction import ForkingPickler
    p = nn.Parameter(tg.ones(2))
    r = pickle.loads(ForkingPickler.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and r.is_shared() and p.is_shared()
    r.data.mul_(3)                                   # the same memory
    assert p.tolist() == [3.0, 3.0]
    c = pickle.loads(pickle.dumps(p))
    c.data.mul_(2)
    assert p.tolist() == [3.0, 3.0] and not c.is_shared()
    t = tg.arange(6).view(2, 3).t()
    r = pickle.loads(ForkingPickler.dumps(t))
    assert r.tolist() == t.tolist() and r.stride() == t.stride() and r.dtype == t.dtype
    assert not r.requires_grad


def test_a_non_leaf_that_requires_grad_is_refused_with_torchs_message():
    from multiprocessing.reduction import ForkingPickler
    messages = []
    for lib in (torch, tg):
        x = lib.ones(2, requires_grad=True) * 2
        with pytest.raises(RuntimeError) as e:
            ForkingPickler.dumps(x)
        messages.append(str(e.value))
    assert messages[0] == messages[1]


def _raises(i):
    raise ValueError(f"bad {i}")


def _exits(i):
    sys.exit(3)


def test_spawns_failures_are_torchs_exceptions():
    with pytest.raises(tmp.ProcessRaisedException) as e:
        tmp.start_processes(_raises, nprocs=2, start_method="fork")
    assert "-- Process" in str(e.value) and "ValueError: bad" in str(e.value)
    with pytest.raises(tmp.ProcessExitedException, match="terminated with exit code 3") as e:
        tmp.start_processes(_exits, nprocs=1, start_method="fork")
    assert e.value.exit_code == 3 and e.value.error_index == 0
    context = tmp.start_processes(_exits, nprocs=1, join=False, start_method="fork")
    assert len(context.pids()) == 1
    with pytest.raises(tmp.ProcessExitedException):
        while not context.join():
            pass
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        with pytest.raises(tmp.ProcessExitedException):
            tmp.spawn(_exits, start_method="fork")


def test_the_module_is_pythons_multiprocessing_with_torchs_additions():
    import torch.multiprocessing as theirs
    assert set(multiprocessing.__all__) <= set(tmp.__all__)
    assert tmp.Process is multiprocessing.Process and tmp.get_context is multiprocessing.get_context
    assert tmp.get_all_sharing_strategies() == theirs.get_all_sharing_strategies()
    assert tmp.get_sharing_strategy() == theirs.get_sharing_strategy() == "file_descriptor"
    for lib in (theirs, tmp):
        with pytest.raises(AssertionError, match="invalid sharing strategy"):
            lib.set_sharing_strategy("bogus")
    tmp.set_sharing_strategy("file_system")
    assert tmp.get_sharing_strategy() == "file_system"
    tmp.set_sharing_strategy("file_descriptor")


LOADER = '''
import torch
from torch.utils.data import DataLoader, Dataset


class Items(Dataset):
    """Each item also says whether the worker's torch made the same kind of tensor."""

    def __init__(self):
        self.x, self.y = torch.arange(12.).view(6, 2), torch.arange(6)

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.x[i], self.y[i], type(torch.zeros(1)) is type(self.x)


if __name__ == "__main__":
    torch.manual_seed(0)
    ds = Items()
    for ctx in ("spawn", "forkserver"):
        loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=2,
                            multiprocessing_context=ctx)
        print(ctx, [(x.sum().item(), y.tolist(), same.tolist()) for x, y, same in loader])
'''


def test_spawned_dataloader_workers_of_a_torch_program_run_the_library(tmp_path):
    """A worker started by spawn or forkserver imports the program's ``torch`` afresh: under
    ``tinygrad-sgd run`` it is the library (``_torch_shim/children``), batches as torch's."""
    (tmp_path / "loader.py").write_text(LOADER)
    theirs = _run([sys.executable, "loader.py"], tmp_path)
    ours = _run([sys.executable, "-m", "tinygrad_sgd.as_torch", "loader.py"], tmp_path)
    assert ours == theirs and theirs.count("[True, True]") == 6
