"""The training stack against torch, where a probe found it apart: the keys' order of
optimizer groups and states, L-BFGS's fused parameter update and torch-ordered sum, the
roundings of clip_grad_norm_'s coefficient, float() of a tensor under no_grad,
torch.utils.data.distributed, and the DataLoader's workers (their
random streams, worker_init_fn, get_worker_info and IterableDataset copies) — each compared
with torch, bit for bit where the numbers are concerned."""
import importlib
import random
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.utils import data as ours

torch = pytest.importorskip("torch")
from torch.utils import data as theirs  # noqa: E402


def both(make):
    """``make(lib)`` for lib = this library, then torch."""
    return make(tg), make(torch)


# ------------------------------------------------------------- optimizer keys' order
KEY_CASES = [
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
]


@pytest.mark.parametrize("name,kwargs", KEY_CASES)
def test_group_and_state_keys_come_in_torchs_order(name, kwargs):
    def keys(lib):
        p = lib.ones(3, requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kwargs)
        p.grad = lib.full((3,), 0.5)
        opt.step()
        sd = opt.state_dict()
        return list(opt.param_groups[0]), list(opt.defaults), list(sd["state"][0])
    mine, ref = both(keys)
    assert mine == ref


# ------------------------------------------------------------------ L-BFGS, bit for bit
def rosenbrock(x):
    return ((1 - x[0::2]) ** 2 + 100 * (x[1::2] - x[0::2] ** 2) ** 2).sum()


def quartic(x):
    x2 = x * x                          # (products only: no transcendental's last bit)
    return (x2 * x2 - 3 * x2 + x + 0.25 * x2 * x).sum()


LBFGS_CASES = [
    # a 6-vector's first iteration: t from torch's sum of |g|, then one fused x + t·d
    (rosenbrock, [-1.5, 2.0, 0.5, -0.5, 1.2, 1.3], {"max_iter": 1}, 1),
    (rosenbrock, [0.3, -0.7, 1.5, 2.5, -1.1, 0.9], {"max_iter": 1, "lr": 0.5}, 1),
    # one element: every dot product is one product, so whole runs must agree
    (quartic, [-1.5], {}, 4),
    (quartic, [-1.5], {"line_search_fn": "strong_wolfe"}, 4),
    (quartic, [2.0], {"lr": 0.5, "max_iter": 5, "history_size": 3}, 4),
    (quartic, [0.7], {"line_search_fn": "strong_wolfe", "max_iter": 7, "history_size": 2,
                      "tolerance_change": 1e-12}, 4),
    (quartic, [-0.2], {"line_search_fn": "strong_wolfe", "lr": 0.3, "max_eval": 4}, 4),
]


@pytest.mark.parametrize("f,x0,kwargs,steps", LBFGS_CASES)
def test_lbfgs_steps_are_torchs_bit_for_bit(f, x0, kwargs, steps):
    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        opt = lib.optim.LBFGS([x], **kwargs)

        def closure():
            opt.zero_grad()
            loss = f(x)
            loss.backward()
            return loss
        out = []
        for _ in range(steps):
            out.append((opt.step(closure).item(), x.tolist()))
        state = opt.state[x]
        return out, state["func_evals"], state["n_iter"]
    mine, ref = both(run)
    assert mine == ref


def test_lbfgs_step_does_not_warn_about_float_of_the_loss(monkeypatch):
    """torch's float(loss) inside LBFGS.step runs under no_grad, where torch does not warn
    that the tensor requires grad; neither may we (the warning is once per process: reset)."""
    monkeypatch.setattr(importlib.import_module("tinygrad_sgd.tensor"), "_warned_float", False)
    x = tg.tensor([-1.5, 2.0], requires_grad=True)
    opt = tg.optim.LBFGS([x], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step(closure)
        with tg.no_grad():
            float(x.sum())
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        float(x.sum())                 # (with grad mode on it does warn, as torch)


# ------------------------------------------------------------------- clip_grad_norm_
@pytest.mark.parametrize("norm_type", [2.0, 1, 3, 0.5, float("inf"), 0])
@pytest.mark.parametrize("max_norm", [1.5, 0.3, 7])
def test_clip_grad_norm_scales_with_torchs_roundings(norm_type, max_norm):
    """torch's coefficient is max_norm / (total + 1e-6) as Tensor ops — the division a
    reciprocal times max_norm, two roundings — clamped at 1; the gradients are scaled bit
    for bit as torch scales them."""
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(3, 4), (5,), (2, 2)]]

    def run(lib):
        params = [lib.zeros(v.shape, requires_grad=True) for v in values]
        for p, v in zip(params, values):
            p.grad = lib.tensor(v)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return total.item(), [p.grad.tolist() for p in params]
    mine, ref = both(run)
    assert mine == ref


# ------------------------------------------------------------ torch.utils.data.distributed
def test_torch_utils_data_distributed_imports_under_the_runner():
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        from torch.utils.data.distributed import DistributedSampler
        assert DistributedSampler is tg.utils.data.DistributedSampler


# --------------------------------------------------------------- DataLoader workers
def datasets_of(lib, data):
    """The probe's datasets, built on ``lib`` (tinygrad_sgd or torch) and its data module."""

    class RandomItems(data.Dataset):
        """Each item draws from the three streams a worker seeds, and says who fetched it."""

        def __len__(self):
            return 7

        def __getitem__(self, i):
            info = data.get_worker_info()
            return (lib.rand(2), random.random(), float(np.random.rand()), i,
                    -1 if info is None else info.id, getattr(self, "tag", "none"))

    class Sharded(data.IterableDataset):
        """Splits itself among the workers by get_worker_info; ``start`` may be set per
        worker (by worker_init_fn, on the worker's copy)."""

        def __init__(self, n):
            self.n, self.start = n, 0

        def __iter__(self):
            info = data.get_worker_info()
            lo, step = ((self.start, 1) if info is None
                        else (self.start + info.id, info.num_workers))
            for i in range(lo, self.n, step):
                yield i, int(lib.randint(0, 100, (1,)).item()), getattr(self, "tag", "none")

    class Naive(data.IterableDataset):
        """Does not split itself: every worker gives all of it (torch's duplicates)."""

        def __iter__(self):
            return iter(range(5))

    return {"random": RandomItems, "sharded": Sharded, "naive": Naive}


def init_fn_of(lib, data):
    """A worker_init_fn that leaves what it saw (and a random draw) on the worker's copy of
    the dataset, where its items show it (torch's runs in another process)."""
    def init_fn(worker_id):
        info = data.get_worker_info()
        info.dataset.tag = (worker_id, info.id, info.num_workers,
                            info.seed == lib.initial_seed(), float(lib.rand(1).item()))
        if hasattr(info.dataset, "start"):
            info.dataset.start = 10 * worker_id
    return init_fn


WORKER_CASES = [
    ("random", (), {"batch_size": 2, "num_workers": 1}, 2),
    ("random", (), {"batch_size": 2, "num_workers": 2}, 2),
    ("random", (), {"batch_size": 3, "num_workers": 2, "shuffle": True}, 1),
    ("random", (), {"batch_size": 4, "num_workers": 2, "init": True}, 1),
    ("random", (), {"batch_size": 2, "num_workers": 2, "persistent_workers": True}, 2),
    ("sharded", (7,), {"batch_size": 2, "num_workers": 2}, 2),
    ("sharded", (9,), {"batch_size": 2, "num_workers": 2, "drop_last": True}, 1),
    ("sharded", (25,), {"batch_size": 3, "num_workers": 2, "init": True}, 1),
    ("sharded", (25,), {"batch_size": 3, "num_workers": 2, "init": True,
                        "persistent_workers": True}, 2),
    ("naive", (), {"batch_size": 2, "num_workers": 2}, 1),
    ("naive", (), {"batch_size": None, "num_workers": 2}, 1),
]


def plain(x):
    if isinstance(x, (tg.Tensor, torch.Tensor)):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


@pytest.mark.parametrize("kind,args,kwargs,epochs", WORKER_CASES)
def test_workers_give_torchs_batches_and_random_numbers(kind, args, kwargs, epochs):
    """torch (with real worker processes) against the workers played in one process: the
    same batches, the same numbers drawn in the workers, the same worker_init_fn calls, and
    the main process's streams left where torch leaves them."""
    def run(lib):
        data = ours if lib is tg else theirs
        lib.manual_seed(0)
        random.seed(0)
        np.random.seed(0)
        kw = dict(kwargs)
        if kw.pop("init", False):
            kw["worker_init_fn"] = init_fn_of(lib, data)
        loader = data.DataLoader(datasets_of(lib, data)[kind](*args), **kw)
        batches = [plain(list(loader)) for _ in range(epochs)]
        after = (lib.rand(2).tolist(), random.random(), float(np.random.rand()))
        return batches, after, data.get_worker_info()
    mine, ref = both(run)
    assert mine == ref
