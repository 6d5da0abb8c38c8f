"""Memory: nothing of a training step outlives it.

* The graph of a step — its nodes and every array they saved — is freed by reference counting
  alone (no cycles: checked with the garbage collector off) when the loss goes out of scope,
  and the saved arrays already when ``backward()`` has run.
* 2,000 SGD-momentum steps of the tutorial CNN keep the resident memory flat (measured in a
  fresh process, after a warm-up), and the number of live graph nodes constant. The same loop
  that keeps its losses (a leak on purpose) is caught by the same measure.

Peak memory per training step of ours against torch is recorded by the benchmark
``benchmarks/bench_mnist_cnn.py`` (in ``benchmarks/results/mnist_cnn.json``).
"""
import gc
import json
import os
import subprocess
import sys
import weakref
from contextlib import contextmanager

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, tensor
from tinygrad_sgd.autograd import Function, detect_anomaly
from tinygrad_sgd.models import SimpleCNN
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.kernels import buffers


@contextmanager
def gc_off():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def graph_nodes(t):
    """Every node reachable from ``t.grad_fn`` (iteratively)."""
    seen, stack = {}, [t.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, Function) and id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node._edges)
    return list(seen.values())


def alive(refs):
    """The referents still reachable — an array that only the kernels' buffer pool keeps (for
    reuse by the next step: :mod:`tinygrad_sgd.kernels.buffers`) counts as freed."""
    out = []
    for r in refs:
        v = r()
        if v is not None and not (isinstance(v, np.ndarray) and buffers.is_free(v)):
            out.append(r)
        del v
    return out


def saved_things(nodes, keep):
    """Weak references to what the nodes saved: arrays (outputs, im2col columns, masks) and
    intermediate Tensors — leaving out what the caller itself holds (``keep``: arrays)."""
    refs = []
    for node in nodes:
        for value in list(node.__dict__.values()) + list(node.__dict__.get("_saved", ())):
            if isinstance(value, Tensor) and value.grad_fn is not None:
                refs.append(weakref.ref(value))
            elif isinstance(value, np.ndarray) and value.size > 1 and \
                    not any(np.shares_memory(value, k) for k in keep):
                refs.append(weakref.ref(value))
    return refs


def cnn_step_parts(batch=4):
    tg.manual_seed(0)
    model = SimpleCNN()
    x = tg.randn(batch, 1, 28, 28)
    y = tensor(np.arange(batch) % 10)
    keep = [x.data, y.data] + [p.data for p in model.parameters()]
    return model, x, y, keep


@pytest.mark.parametrize("anomaly", [False, True], ids=["plain", "detect_anomaly"])
def test_graph_is_freed_by_refcounting_when_the_loss_goes_out_of_scope(anomaly):
    model, x, y, keep = cnn_step_parts()
    with gc_off():
        with detect_anomaly() if anomaly else contextmanager(lambda: (yield))():
            loss = F.nll_loss(model(x), y)
        nodes = graph_nodes(loss)
        assert len(nodes) > 10
        node_refs = [weakref.ref(n) for n in nodes]
        saved_refs = saved_things(nodes, keep)
        assert len(saved_refs) > 10
        del nodes
        del loss                                # never backpropagated
        assert [r for r in node_refs if r() is not None] == []
        assert alive(saved_refs) == []


def test_backward_frees_saved_arrays_and_the_loss_frees_the_rest():
    model, x, y, keep = cnn_step_parts()
    with gc_off():
        loss = F.nll_loss(model(x), y)
        nodes = graph_nodes(loss)
        node_refs = [weakref.ref(n) for n in nodes]
        saved_refs = saved_things(nodes, keep)
        del nodes
        loss.backward()
        assert alive(saved_refs) == []   # freed by backward
        assert all(p.grad.grad_fn is None for p in model.parameters())
        del loss
        assert [r for r in node_refs if r() is not None] == []


def test_retained_graph_lives_until_the_loss_dies():
    model, x, y, keep = cnn_step_parts()
    with gc_off():
        loss = F.nll_loss(model(x), y)
        nodes = graph_nodes(loss)
        saved_refs = saved_things(nodes, keep)
        del nodes
        loss.backward(retain_graph=True)
        assert all(r() is not None for r in saved_refs)
        loss.backward()                         # second pass works, then frees
        del loss
        assert alive(saved_refs) == []


# ============================================================================ a long run
TRAIN = r"""
import gc, json, sys
import numpy as np
import tinygrad_sgd as tg
from tinygrad_sgd.autograd import Function
from tinygrad_sgd.models import SimpleCNN
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.optim import SGD
tensor_module = sys.modules["tinygrad_sgd.versions"]

steps, warmup, keep_losses = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "leak"

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

def live_nodes():
    return sum(isinstance(o, Function) for o in gc.get_objects())

tg.manual_seed(0)
model = SimpleCNN()
opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
rng = np.random.default_rng(0)
batches = [(tg.tensor(rng.standard_normal((8, 1, 28, 28)).astype(np.float32)),
            tg.tensor(rng.integers(0, 10, 8))) for _ in range(10)]
kept, rss, report = [], [], {}
for i in range(1, steps + 1):
    x, y = batches[i % len(batches)]
    opt.zero_grad()
    loss = F.nll_loss(model(x), y)
    loss.backward(retain_graph=keep_losses)
    opt.step()
    if keep_losses:
        kept.append(loss)
    if i % 25 == 0 and i >= warmup:
        rss.append(rss_mb())
    if i == warmup:
        report["nodes_after_warmup"] = live_nodes()
        report["versions_after_warmup"] = len(tensor_module._inplace_changes)
report["nodes_at_end"] = live_nodes()
report["versions_at_end"] = len(tensor_module._inplace_changes)
report["rss"] = rss
report["loss"] = loss.item()
print(json.dumps(report))
"""


def train_in_fresh_process(steps, warmup, mode):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               TINYGRAD_SGD_NUM_THREADS="1")   # (BLAS threads fight over 2 busy cores)
    done = subprocess.run([sys.executable, "-c", TRAIN, str(steps), str(warmup), mode],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_thousand_training_steps_keep_memory_flat():
    report = train_in_fresh_process(2000, 200, "normal")
    rss = report["rss"]
    growth = max(rss) - rss[0]
    assert growth < 3.0, f"resident memory grew {growth:.2f} MB after warm-up: {rss}"
    assert rss[-1] - rss[0] < 2.0, rss
    assert report["nodes_at_end"] == report["nodes_after_warmup"], report
    assert report["versions_at_end"] == report["versions_after_warmup"], report
    assert np.isfinite(report["loss"])


def test_the_memory_measure_catches_a_loop_that_keeps_its_graphs():
    report = train_in_fresh_process(100, 25, "leak")
    rss = report["rss"]
    assert max(rss) - rss[0] > 5.0, rss         # the saved arrays of every kept step
    assert report["nodes_at_end"] > report["nodes_after_warmup"] + 500
