"""softmax and log_softmax over the last dim give torch's bits (kernels/softmax.py: ATen's
lastdim kernels, their lane-wise max and sums, SLEEF's exp and log): forward and backward,
float32 and float64, rows shorter and longer than a vector and with a partial last vector,
large values, −∞ and nan, F.cross_entropy's loss and gradient — with both kernel sets, in the
vector width torch uses here and (torch run with ATEN_CPU_CAPABILITY=avx2) in AVX2's."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.kernels import cpu

LENGTHS = [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100, 1000]
DTYPES = [np.float32, np.float64]
KINDS = ["normal", "large", "offset", "special"]


def rows(n, dtype, kind, seed=0):
    """12 rows of n values: standard normal ×3 ("normal"), ×1e4 ("large"), 1e4 + normal
    ("offset": exact only if x − m is taken first), or with −∞, nan, +∞ and all-−∞ rows."""
    rng = np.random.default_rng(seed + n)
    x = rng.standard_normal((12, n)) * 3
    if kind == "large":
        x *= 3e3
    elif kind == "offset":
        x += 1e4 * np.sign(rng.standard_normal((12, 1)))
    elif kind == "special":
        x[0, rng.integers(n)] = -np.inf
        x[1, rng.integers(n)] = np.nan
        x[2, rng.integers(n)] = np.inf
        x[3] = -np.inf
        x[4, :] = x[4, :1]                     # a row of one value repeated
    return x.astype(dtype)


def same(ours, theirs):
    """Equal bits; where torch gives nan, nan (its payload is not compared)."""
    ours, theirs = np.array(ours), np.array(theirs)       # (copies: C-contiguous, 0-d kept)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    ours, theirs = ours.reshape(-1), theirs.reshape(-1)
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    bad = (ours.view(np.uint8).reshape(ours.shape + (-1,)) !=
           theirs.view(np.uint8).reshape(theirs.shape + (-1,))).any(-1) & ~nan
    assert not bad.any(), f"{bad.sum()} of {bad.size} differ, first at {np.argwhere(bad)[0]}"


def both(x, g, log):
    """((y, dx) ours, (y, dx) torch's) of (log_)softmax over the last dim, upstream g."""
    out = []
    for L in (tg, torch):
        t = L.tensor(x, requires_grad=True)
        y = t.log_softmax(-1) if log else t.softmax(-1)
        y.backward(L.tensor(g))
        out.append((y.detach().numpy(), t.grad.numpy()))
    return out


def test_our_vector_width_is_torchs():
    assert cpu.capability() == torch.backends.cpu.get_cpu_capability().lower()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_and_its_gradient_are_torchs(log, n, dtype, kind, kernel_set, same_threads):
    x = rows(n, dtype, kind)
    g = rows(n, dtype, "normal", seed=1)
    (y, dx), (ty, tdx) = both(x, g, log)
    same(y, ty)
    same(dx, tdx)


@pytest.mark.parametrize("shape", [(2, 3, 65), (5, 1), (7,), ()], ids=str)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_other_shapes_and_a_strided_input(shape, log, kernel_set, same_threads):
    x = (np.random.default_rng(5).standard_normal(shape) * 3).astype(np.float32)
    g = np.ones_like(x)
    (y, dx), (ty, tdx) = both(x, g, log)
    same(y, ty)
    same(dx, tdx)
    if x.ndim >= 2:                        # a transposed (non-contiguous) input
        xt = np.ascontiguousarray(np.swapaxes(x, -1, -2))
        (y, dx), (ty, tdx) = both(np.swapaxes(xt, -1, -2), np.swapaxes(
            np.ones_like(xt), -1, -2), log)
        same(y, ty)
        same(dx, tdx)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("classes", [3, 10, 65, 1000])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_loss_and_gradient_are_torchs(classes, dtype, reduction, kernel_set,
                                                    same_threads):
    x = rows(classes, dtype, "normal")
    target = np.random.default_rng(classes).integers(0, classes, len(x))
    out = []
    for L in (tg, torch):
        t = L.tensor(x, requires_grad=True)
        loss = L.nn.functional.cross_entropy(t, L.tensor(target), reduction=reduction)
        loss.sum().backward()
        out.append((loss.detach().numpy(), t.grad.numpy()))
    same(out[0][0], out[1][0])
    same(out[0][1], out[1][1])


# ------------------------------------------------------------------ AVX2's order, torch aside
_TORCH_AVX2 = r"""
import json, sys
import numpy as np, torch
assert torch.backends.cpu.get_cpu_capability() == "AVX2"
torch.set_num_threads(int(sys.argv[3]))
out = {}
for key, x, g in np.load(sys.argv[1], allow_pickle=True)["cases"]:
    for log in (0, 1):
        t = torch.tensor(x, requires_grad=True)
        y = t.log_softmax(-1) if log else t.softmax(-1)
        y.backward(torch.tensor(g))
        out[f"{key}/{log}"] = [y.detach().numpy().tobytes().hex(), t.grad.numpy().tobytes().hex()]
json.dump(out, open(sys.argv[2], "w"))
"""


@pytest.fixture(scope="module", params=[1, 2], ids=["1thread", "2threads"])
def torch_avx2(tmp_path_factory, request):
    """torch's results with ATEN_CPU_CAPABILITY=avx2 (a fresh process: torch picks its
    kernels once), for the cases of :func:`avx2_cases`."""
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if " avx2" not in flags or " fma" not in flags:
        pytest.skip("no AVX2 here")
    d = tmp_path_factory.mktemp("avx2")
    cases = np.empty(len(avx2_cases()), object)
    cases[:] = [tuple(c) for c in avx2_cases()]
    np.savez(d / "in.npz", cases=cases)
    env = dict(os.environ, ATEN_CPU_CAPABILITY="avx2")
    subprocess.run([sys.executable, "-c", _TORCH_AVX2, str(d / "in.npz"), str(d / "out.json"),
                    str(request.param)], check=True, env=env)
    return request.param, json.load(open(d / "out.json"))


def avx2_cases():
    return [(f"{dt.__name__}/{n}/{kind}", rows(n, dt, kind), rows(n, dt, "normal", seed=1))
            for dt in DTYPES for n in LENGTHS for kind in ("normal", "special")]


def test_in_avx2s_order_we_give_torchs_avx2_bits(torch_avx2, kernel_set):
    n_threads, torch_avx2 = torch_avx2
    before, before_threads = cpu.set_capability("avx2"), tg.get_num_threads()
    tg.set_num_threads(n_threads)
    try:
        for key, x, g in avx2_cases():
            for log in (0, 1):
                (y, dx), _ = both(x, g, log)
                ty, tdx = (np.frombuffer(bytes.fromhex(h), x.dtype).reshape(x.shape)
                           for h in torch_avx2[f"{key}/{log}"])
                same(y, ty)
                same(dx, tdx)
    finally:
        cpu.set_capability(before)
        tg.set_num_threads(before_threads)
