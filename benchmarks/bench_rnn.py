"""One Adam training step of a small recurrent language model — Embedding(65, 64) → nn.LSTM /
nn.GRU / nn.RNN(64, 128, batch_first=True) → Linear(128, 65), batch 32, sequence 64,
cross-entropy over all positions (the char-level setting of the RNN courses) — with
tinygrad_sgd and with torch in the same process, from the same weights on the same batch, one
thread each, alternating blocks of steps (warm-up dropped), medians and minima.

    python benchmarks/bench_rnn.py [--kinds LSTM GRU RNN] [--steps 30] [--blocks 3]
                                   [--unrolled] [--json out.json]

``--unrolled`` also times our layers run as one graph node per op per time step
(``RNNBase._unrolled``: the path before the whole-layer ops, kept for ``proj_size`` and half
precision), for a before/after in one process. Our kernel set is the default one (numba when
installed; ``TINYGRAD_SGD_KERNELS=numpy`` for the NumPy reference kernels); it is printed.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

VOCAB, EMBED, HIDDEN, BATCH, STEPS = 65, 64, 128, 32, 64


def make_model(lib, kind):
    """The language model in ``lib`` (torch or tinygrad_sgd) with recurrent layer ``kind``."""
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.e = nn.Embedding(VOCAB, EMBED)
            self.r = getattr(nn, kind)(EMBED, HIDDEN, batch_first=True)
            self.o = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            h, _ = self.r(self.e(x))
            return self.o(h).reshape(-1, VOCAB)
    return LM()


def make_pair(kind, unrolled=False):
    """(torch's model, ours with torch's weights, batch arrays)."""
    import numpy as np
    import torch
    import tinygrad_sgd as tg
    torch.manual_seed(0)
    theirs = make_model(torch, kind)
    ours = make_model(tg, kind)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    if unrolled:
        ours.r._scan = ours.r._unrolled
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (BATCH, STEPS))
    y = rng.integers(0, VOCAB, (BATCH * STEPS,))
    return theirs, ours, x, y


def stepper(lib, model, x, y):
    """A function making one training step of ``model`` in ``lib``."""
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = lib.tensor(x), lib.tensor(y)

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss
    return step


def time_steps(step, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times


def bench(kinds, steps, blocks, unrolled):
    import torch
    import tinygrad_sgd as tg
    from tinygrad_sgd import kernels
    torch.set_num_threads(1)
    tg.set_num_threads(1)
    results = []
    for kind in kinds:
        theirs, ours, x, y = make_pair(kind)
        runs = {"torch": stepper(torch, theirs, x, y), "ours": stepper(tg, ours, x, y)}
        if unrolled:
            runs["ours_unrolled"] = stepper(tg, make_pair(kind, unrolled=True)[1], x, y)
        for step in runs.values():
            time_steps(step, 3)                                  # warm-up
        times = {name: [] for name in runs}
        for _ in range(blocks):
            for name, step in runs.items():
                times[name] += time_steps(step, steps)
        row = {"kind": kind, "backend": kernels.backend()}
        for name, ts in times.items():
            row[name + "_median_ms"] = statistics.median(ts) * 1e3
            row[name + "_min_ms"] = min(ts) * 1e3
        results.append(row)
        print(f"{kind:5s} ({row['backend']}): " + "  ".join(
            f"{name} {row[name + '_median_ms']:6.2f} ms (min {row[name + '_min_ms']:6.2f})"
            for name in runs), flush=True)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", nargs="+", default=["LSTM", "GRU", "RNN"])
    ap.add_argument("--steps", type=int, default=30, help="steps per block")
    ap.add_argument("--blocks", type=int, default=3, help="alternating blocks per library")
    ap.add_argument("--unrolled", action="store_true",
                    help="also time our layers unrolled into per-step graph nodes")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args(argv)
    results = bench(args.kinds, args.steps, args.blocks, args.unrolled)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "rnn_language_model", "vocab": VOCAB, "embed": EMBED,
                       "hidden": HIDDEN, "batch": BATCH, "steps": STEPS, "threads": 1,
                       "results": results}, f, indent=2)
    return results


if __name__ == "__main__":
    main()
