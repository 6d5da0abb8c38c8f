"""``torch.distributed`` in a world of one process (``tinygrad_sgd/distributed.py``), against
torch's own world of one (the ``gloo`` backend, rank 0 of 1, a ``file://`` rendezvous): the
collectives' results and errors, the rendezvous's errors, DistributedDataParallel and
DistributedSampler, and a script written for ``torchrun`` running as one worker."""
import os
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.as_torch import torch_modules

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore:`torch.distributed.:FutureWarning")

LIBS = {"torch": torch, "ours": tg}


def error(fn):
    try:
        fn()
    except Exception as e:                  # noqa: BLE001  (compared with torch's)
        return type(e), str(e)
    return None


def summary(value):
    """A result as comparable data: tensors as lists, a Work as what it waits and gives."""
    if isinstance(value, (torch.Tensor, tg.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], np.asarray(value.tolist()).tolist())
    if isinstance(value, (list, tuple)):
        return [summary(v) for v in value]
    if hasattr(value, "wait") and hasattr(value, "is_completed"):
        return ("work", value.wait(), value.is_completed(), summary(value.result()))
    return value


@pytest.fixture
def worlds(tmp_path):
    """Both libraries' worlds of one, torch's through its file rendezvous; ended after."""
    for name, L in LIBS.items():
        L.distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/{name}",
                                         rank=0, world_size=1)
    yield
    for L in LIBS.values():
        if L.distributed.is_initialized():
            L.distributed.destroy_process_group()


def run(L, program):
    """``program(L, dist)``: its result (as data) and the tensors it wrote, or its error."""
    state = {}
    try:
        out = program(L, L.distributed, state)
    except Exception as e:                  # noqa: BLE001
        return "error", type(e).__name__, str(e)
    return summary(out), {k: summary(v) for k, v in state.items()}


def keep(state, **tensors):
    state.update(tensors)
    return tensors


def t(L, values, dtype=None):
    return L.tensor(values, dtype=dtype)


# (name, program, whether torch's message is ours word for word)
COLLECTIVES = [
    ("all_reduce", lambda L, d, s: d.all_reduce(keep(s, x=t(L, [1.5, -2.0]))["x"]), True),
    *[(f"all_reduce_{op}", lambda L, d, s, op=op: d.all_reduce(
        keep(s, x=t(L, [3.0, 4.0]))["x"], op=getattr(d.ReduceOp, op)), True)
      for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR")],
    *[(f"all_reduce_int_{op}", lambda L, d, s, op=op: d.all_reduce(
        keep(s, x=t(L, [3, 6]))["x"], op=getattr(d.ReduceOp, op)), True)
      for op in ("SUM", "AVG", "BAND", "BXOR", "MAX")],
    ("all_reduce_async", lambda L, d, s: d.all_reduce(t(L, [1.0, 2.0]), async_op=True), True),
    ("all_reduce_list", lambda L, d, s: d.all_reduce([t(L, [1.0])]), True),
    ("all_reduce_leaf_requiring_grad",
     lambda L, d, s: d.all_reduce(keep(s, x=L.ones(2, requires_grad=True))["x"]), True),
    ("all_reduce_non_contiguous", lambda L, d, s: d.all_reduce(L.ones(2, 3).T), True),
    ("broadcast", lambda L, d, s: d.broadcast(keep(s, x=t(L, [5.0]))["x"], src=0), True),
    ("broadcast_from_rank_1", lambda L, d, s: d.broadcast(t(L, [5.0]), src=1), True),
    ("broadcast_no_src", lambda L, d, s: d.broadcast(t(L, [5.0])), True),
    ("reduce", lambda L, d, s: d.reduce(keep(s, x=t(L, [2.0]))["x"], dst=0), True),
    ("all_gather", lambda L, d, s: d.all_gather(keep(s, out=[L.zeros(2)])["out"],
                                                t(L, [5.0, 6.0])), True),
    ("all_gather_two", lambda L, d, s: d.all_gather([L.zeros(2), L.zeros(2)], L.ones(2)), True),
    ("all_gather_into_tensor", lambda L, d, s: d.all_gather_into_tensor(
        keep(s, out=L.zeros(2))["out"], t(L, [7.0, 8.0])), True),
    ("all_gather_into_tensor_wrong_size", lambda L, d, s: d.all_gather_into_tensor(
        L.zeros(4), t(L, [7.0, 8.0])), True),
    ("all_gather_single", lambda L, d, s: d.all_gather_single(
        keep(s, out=L.zeros(2))["out"], t(L, [7.0, 8.0])), True),
    ("reduce_scatter_single", lambda L, d, s: d.reduce_scatter_single(
        keep(s, x=L.zeros(2))["x"], t(L, [3.0, 1.0])), True),
    ("gather", lambda L, d, s: d.gather(t(L, [1.0, 9.0]), keep(s, out=[L.zeros(2)])["out"],
                                        dst=0), True),
    ("scatter", lambda L, d, s: d.scatter(keep(s, x=L.zeros(2))["x"], [t(L, [4.0, 2.0])],
                                          src=0), True),
    ("reduce_scatter", lambda L, d, s: d.reduce_scatter(keep(s, x=L.zeros(2))["x"],
                                                        [t(L, [3.0, 1.0])]), True),
    ("reduce_scatter_tensor", lambda L, d, s: d.reduce_scatter_tensor(
        keep(s, x=L.zeros(2))["x"], t(L, [3.0, 1.0])), True),
    ("all_to_all", lambda L, d, s: d.all_to_all(keep(s, out=[L.zeros(2)])["out"],
                                                [t(L, [6.0, 5.0])]), True),
    ("all_to_all_single", lambda L, d, s: d.all_to_all_single(keep(s, x=L.zeros(2))["x"],
                                                              t(L, [6.0, 5.0])), True),
    ("barrier", lambda L, d, s: (d.barrier(), d.monitored_barrier()), True),
    ("send_to_itself", lambda L, d, s: d.send(L.ones(2), dst=0), True),
    ("rank_size_backend", lambda L, d, s: (d.get_rank(), d.get_world_size(), d.get_backend(),
                                           d.is_initialized()), True),
    ("new_group", lambda L, d, s: (lambda g: (d.get_rank(g), d.get_world_size(g),
                                              d.get_process_group_ranks(g)))(d.new_group([0])),
     True),
    ("new_group_too_big", lambda L, d, s: d.new_group([0, 1]), True),
    ("new_group_rank_1", lambda L, d, s: d.new_group([1]), True),
    ("global_and_group_rank", lambda L, d, s: (d.get_global_rank(d.group.WORLD, 0),
                                               d.get_group_rank(d.group.WORLD, 0)), True),
    ("world_member", lambda L, d, s: (d.group.WORLD is d.GroupMember.WORLD,
                                      d.group.WORLD is not None,
                                      d.GroupMember.NON_GROUP_MEMBER), True),
    ("initialized_twice", lambda L, d, s: d.init_process_group(
        "gloo", init_method="file:///nonexistent/x", rank=0, world_size=1), True),
]


@pytest.mark.parametrize("name, program, same_words", COLLECTIVES,
                         ids=[c[0] for c in COLLECTIVES])
def test_collectives_in_a_world_of_one(worlds, name, program, same_words):
    theirs, ours = run(torch, program), run(tg, program)
    if theirs[0] == "error" and not same_words:
        assert ours[:2] == theirs[:2]
    else:
        assert ours == theirs


def objects_program(L, d, s):
    obj = {"a": [1, 2]}
    gathered, given, scattered = [None], [obj], [None]
    d.all_gather_object(gathered, obj)
    d.broadcast_object_list(given, src=0)
    got = [None]
    d.gather_object(obj, got, dst=0)
    d.scatter_object_list(scattered, [obj], src=0)
    return (gathered, gathered[0] is obj, given[0] is obj, got, got[0] is obj, scattered,
            scattered[0] is obj)


def test_object_collectives_copy_as_torchs(worlds):
    assert objects_program(tg, tg.distributed, {}) == \
        objects_program(torch, torch.distributed, {})


def test_reduce_op_and_backend_names():
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        ours, theirs = getattr(tg.distributed.ReduceOp, op), getattr(torch.distributed.ReduceOp,
                                                                     op)
        assert repr(ours) == repr(theirs) and int(ours) == int(theirs)
    for name in ("gloo", "GLOO", "nccl", "mpi", "custom"):
        assert tg.distributed.Backend(name) == torch.distributed.Backend(name)
    for probe in ("is_available", "is_gloo_available", "is_nccl_available",
                  "is_mpi_available", "is_torchelastic_launched"):
        assert getattr(tg.distributed, probe)() == getattr(torch.distributed, probe)()


BEFORE_INIT = [
    lambda d: d.get_rank(),
    lambda d: d.get_world_size(),
    lambda d: d.get_backend(),
    lambda d: d.barrier(),
    lambda d: d.new_group([0]),
    lambda d: d.is_initialized(),
    lambda d: d.group.WORLD,
]


@pytest.mark.parametrize("call", BEFORE_INIT)
def test_before_init_as_torch(call):
    assert error(lambda: call(tg.distributed)) == error(lambda: call(torch.distributed))
    if error(lambda: call(torch.distributed)) is None:
        assert call(tg.distributed) == call(torch.distributed)


def test_all_reduce_before_init_as_torch():
    for L in LIBS.values():
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            L.distributed.all_reduce(L.ones(2))


INIT_CASES = [
    ({}, {"backend": "gloo"}),
    ({"RANK": "0"}, {"backend": "gloo"}),
    ({"RANK": "0", "WORLD_SIZE": "1"}, {"backend": "gloo"}),
    ({"RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}, {"backend": "gloo"}),
    ({}, {"backend": "gloo", "init_method": "file:///tmp/x"}),
    ({}, {"backend": "gloo", "init_method": "tcp://127.0.0.1:29555"}),
    ({}, {"backend": "gloo", "init_method": "foo://x", "rank": 0, "world_size": 1}),
    ({}, {"backend": "nccl", "init_method": "file:///tmp/x", "rank": 0, "world_size": 1}),
    ({}, {"backend": "mpi"}),
    ({}, {"backend": "foo", "init_method": "file:///tmp/x", "rank": 0, "world_size": 1}),
]


@pytest.mark.parametrize("env, kwargs", INIT_CASES)
def test_rendezvous_errors_as_torch(monkeypatch, env, kwargs):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    expected = error(lambda: torch.distributed.init_process_group(**kwargs))
    assert expected is not None and error(lambda: tg.distributed.init_process_group(
        **kwargs)) == expected
    assert not tg.distributed.is_initialized()


def test_env_rendezvous_and_default_backend(monkeypatch):
    for var, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1"),
                       ("MASTER_PORT", "29517")):
        monkeypatch.setenv(var, value)
    tg.distributed.init_process_group()
    try:
        assert tg.distributed.get_backend() == "undefined"     # (torch's, with no backend)
        assert tg.distributed.get_world_size() == 1
    finally:
        tg.distributed.destroy_process_group()
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        tg.distributed.destroy_process_group()


def test_a_world_of_several_processes_is_refused(tmp_path):
    with pytest.raises(NotImplementedError, match="world of 4 processes"):
        tg.distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/w", rank=0,
                                          world_size=4)
    assert not tg.distributed.is_initialized()


# ----------------------------------------------------------------- DDP and the sampler
def train_ddp(L, steps=3):
    """A few steps of an MLP wrapped in DDP (one with no_sync accumulation), from torch's
    initial weights: the losses and final weights."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    model = L.nn.Sequential(L.nn.Linear(3, 8), L.nn.Tanh(), L.nn.Linear(8, 2))
    model.load_state_dict({k: L.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    ddp = L.nn.parallel.DistributedDataParallel(model)
    opt = L.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    x = L.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3))
    y = L.tensor(np.cos(np.arange(10, dtype=np.float32)).reshape(5, 2))
    losses = []
    for i in range(steps):
        opt.zero_grad()
        if i == 1:
            with ddp.no_sync():
                L.nn.functional.mse_loss(ddp(x), y).backward()
        loss = L.nn.functional.mse_loss(ddp(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    keys = list(ddp.state_dict().keys())
    flags = (ddp.module is model, ddp.device_ids, ddp.output_device, ddp.dim,
             ddp.broadcast_buffers, ddp.find_unused_parameters, ddp.require_backward_grad_sync,
             ddp.gradient_as_bucket_view, ddp.static_graph)
    return losses, keys, flags, [p.detach().numpy().copy() for p in ddp.parameters()]


def test_ddp_trains_as_torchs_in_a_world_of_one(worlds):
    (ours, keys, flags, weights), (theirs, tkeys, tflags, tweights) = train_ddp(tg), \
        train_ddp(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert keys == tkeys and flags == tflags
    for a, b in zip(weights, tweights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


DDP_ERRORS = [
    lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2), device_ids=[0]),
    lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2).requires_grad_(False)),
    lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2),
                                                    delay_all_reduce_named_params=[]),
]


@pytest.mark.parametrize("call", DDP_ERRORS)
def test_ddp_refuses_as_torch(worlds, call):
    expected = error(lambda: call(torch))
    assert expected is not None and error(lambda: call(tg)) == expected


def test_ddp_comm_hooks_are_refused_not_skipped(worlds):
    ddp = tg.nn.parallel.DistributedDataParallel(tg.nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match="register_comm_hook"):
        ddp.register_comm_hook(None, lambda state, bucket: None)


def test_distributed_sampler_takes_the_world(worlds):
    for shuffle in (True, False):
        ours = tg.utils.data.DistributedSampler(list(range(11)), shuffle=shuffle, seed=3)
        theirs = torch.utils.data.DistributedSampler(list(range(11)), shuffle=shuffle, seed=3)
        assert (ours.num_replicas, ours.rank, list(ours)) == \
            (theirs.num_replicas, theirs.rank, list(theirs))


# ----------------------------------------------------------------- a torchrun script
TORCHRUN_SCRIPT = '''
import os
import torch
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.distributed import init_process_group, destroy_process_group
import torch.distributed as dist

ddp = int(os.environ.get("RANK", -1)) != -1       # (nanoGPT's train.py)
if ddp:
    init_process_group(backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
else:
    rank, world = 0, 1
torch.manual_seed(1)
model = torch.nn.Linear(4, 1)
if ddp:
    model = DDP(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(16, 4), torch.randn(16, 1)
for _ in range(5):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
total = loss.detach().clone()
if ddp:
    dist.all_reduce(total, op=dist.ReduceOp.AVG)
    destroy_process_group()
print(ddp, rank, world, f"{total.item():.6f}")
'''


@pytest.mark.parametrize("launched", [False, True])
def test_a_torchrun_script_runs_as_one_worker(tmp_path, monkeypatch, capsys, launched):
    if launched:
        for var, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1"),
                           ("MASTER_PORT", str(29400 + os.getpid() % 500))):
            monkeypatch.setenv(var, value)
    else:
        monkeypatch.delenv("RANK", raising=False)
    code = compile(TORCHRUN_SCRIPT, "script.py", "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, {"__name__": "__main__"})                  # torch itself
    theirs = capsys.readouterr().out
    with torch_modules():
        exec(code, {"__name__": "__main__"})                  # the same script, on ours
    ours = capsys.readouterr().out
    assert ours == theirs and ours.startswith(f"{launched} 0 1 ")


@pytest.mark.parametrize("old, new", [("all_gather_into_tensor", "all_gather_single"),
                                      ("reduce_scatter_tensor", "reduce_scatter_single")])
def test_old_names_warn_as_torchs(worlds, old, new):
    messages = []
    for L in LIBS.values():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(L.distributed, old)(L.zeros(2), L.ones(2))
        messages.append([(w.category, str(w.message)) for w in caught
                         if issubclass(w.category, FutureWarning)])
    assert messages[0] == messages[1] and len(messages[0]) == 1 and new in messages[0][0][1]
