"""One AdamW training step of a small GPT — vocabulary 65, context 64, 4 layers, 4 heads,
128 wide, batch 32 (the character-level Shakespeare setting of the minimal GPT courses, made
smaller) — with tinygrad_sgd and with torch in the same process, from the same weights on the
same batches, at 1 and at 2 threads, alternating blocks of steps (warm-up and the first step
of each block dropped), medians.

    python benchmarks/bench_gpt.py [--steps 20] [--threads 1 2] [--backend numpy|numba]
                                   [--json out.json] [--profile]

Threads: torch.set_num_threads(n) for torch; for NumPy's OpenBLAS threadpoolctl when it is
installed, else OpenBLAS's own setter found in NumPy's bundled library. ``--backend``: our
kernel set (default: numba when installed, else NumPy; the GELU and softmax have compiled
twins); it is printed with each result. ``--profile`` prints where our step spends its time
(cProfile, by op).
"""
import os
import sys

# OpenBLAS's idle threads spin ~2^28 cycles after each threaded product by default and take the
# cores torch's OpenMP threads want in this same process; 2^4 lets them sleep at once. OpenBLAS
# reads it when it loads, so the script restarts itself with it set.
if os.environ.get("OPENBLAS_THREAD_TIMEOUT") is None:
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SHAPE = dict(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
BATCH = 32


# ---------------------------------------------------------------------------- threads
def _openblas_setter():
    import numpy
    libs = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                return fn
    return None


def set_threads(n):
    """Both libraries at ``n`` threads."""
    import torch
    import tinygrad_sgd as tg
    torch.set_num_threads(n)
    tg.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n, user_api="blas")
        return "threadpoolctl"
    except ImportError:
        setter = _openblas_setter()
        if setter is None:
            return "unchanged (no threadpoolctl, no OpenBLAS setter)"
        setter(n)
        return "openblas_set_num_threads"


# ---------------------------------------------------------------------------- the two models
def torch_gpt(config):
    """nanoGPT's model shape in torch (the twin of tinygrad_sgd.models.GPT)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(C, dim=2)
            q, k, v = (t.view(B, T, config.n_head, C // config.n_head).transpose(1, 2)
                       for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(config.n_embd), Attention()
            self.ln_2, self.mlp = nn.LayerNorm(config.n_embd), MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(0.0),
                h=nn.ModuleList([Block() for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd)))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets):
            x = self.transformer.drop(self.transformer.wte(idx)
                                      + self.transformer.wpe(torch.arange(idx.size(1))))
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    torch.manual_seed(0)
    return GPT()


def batches(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, SHAPE["vocab_size"], (BATCH, SHAPE["block_size"])),
             rng.integers(0, SHAPE["vocab_size"], (BATCH, SHAPE["block_size"])))
            for _ in range(n)]


def steppers():
    """One training step per call for each library, from the same weights."""
    import torch
    import tinygrad_sgd as tg
    from tinygrad_sgd.models import GPT, GPTConfig
    from tinygrad_sgd.optim import AdamW
    config = GPTConfig(**SHAPE)
    theirs = torch_gpt(config)
    ours = GPT(config)
    ours.load_state_dict(theirs.state_dict())
    data = batches()

    def make(model, opt, tensor):
        feed = [(tensor(x), tensor(y)) for x, y in data]
        state = {"i": 0}

        def step():
            x, y = feed[state["i"] % len(feed)]
            state["i"] += 1
            _, loss = model(x, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()
        return step
    return (make(ours, AdamW(ours.parameters(), lr=1e-3), tg.tensor),
            make(theirs, torch.optim.AdamW(theirs.parameters(), lr=1e-3), torch.tensor))


def measure(step, n):
    """(wall seconds, CPU seconds of the process) for each of ``n`` steps. On a shared
    machine the CPU time is the steadier figure: it leaves out the time the process waited
    for a core (with 2 threads it adds both threads' time, so it is not a wall time then)."""
    times = []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - t, time.process_time() - c))
    return times


# Each block of steps starts with one unmeasured step: the first step after the other library's
# block ran 5-10 ms slower at two threads (torch's OpenMP worker keeps spinning for several ms
# after its last parallel region and takes a core from ours; a 20 ms pause removed most of
# it), a cost no program using one of the two libraries pays. Both sides get the same.
SETTLE = 1


def run(threads, steps, block=3):
    from tinygrad_sgd import kernels
    how = set_threads(threads)
    ours, theirs = steppers()
    for f in (ours, theirs):           # warm-up (first calls allocate, import, plan)
        measure(f, 2)
    t_ours, t_torch = [], []
    while len(t_ours) < steps:
        t_ours += measure(ours, SETTLE + block)[SETTLE:]
        t_torch += measure(theirs, SETTLE + block)[SETTLE:]
    res = {"threads": threads, "steps": len(t_ours), "kernels": kernels.backend()}
    for i, kind in enumerate(("wall", "cpu")):
        mo = statistics.median(t[i] for t in t_ours) * 1e3
        mt = statistics.median(t[i] for t in t_torch) * 1e3
        res.update({f"ours_{kind}_ms": mo, f"torch_{kind}_ms": mt, f"{kind}_ratio": mo / mt})
        print(f"threads={threads} {kind:4s}: ours {mo:7.1f} ms/step   torch {mt:7.1f} ms/step"
              f"   ratio {mo / mt:.2f}x   ({len(t_ours)} steps each; kernels: "
              f"{res['kernels']}; BLAS threads: {how})")
    return res


def profile(steps=5):
    import cProfile
    import pstats
    set_threads(1)
    ours, _ = steppers()
    measure(ours, 2)
    prof = cProfile.Profile()
    prof.enable()
    measure(ours, steps)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--backend", choices=["numpy", "numba"])
    ap.add_argument("--json")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.backend:
        from tinygrad_sgd import kernels
        kernels.set_backend(args.backend)
    if args.profile:
        profile()
        return
    results = [run(n, args.steps) for n in args.threads]
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"shape": SHAPE, "batch": BATCH, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
