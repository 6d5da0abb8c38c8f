"""The ``gpt`` lesson's training step on Shakespeare — 4 layers × 128 wide, 4 heads, block 64,
batch 32 — with tinygrad_sgd and with torch in the same process: the same weights, the same
batches (``TextStream.get_batch``), AdamW with nanoGPT's parameter groups, warm-up + cosine
schedule, gradient clipping. Blocks of steps alternate between the two (warm-up dropped),
medians of wall and CPU time per step, and tokens per second. Then, optionally, the time the
default lesson (``tinygrad-sgd gpt``: names, 1 layer × 16 wide, 1000 steps) takes end to end.

    python benchmarks/bench_gpt_lesson.py [--steps 20] [--threads 1 2] [--lesson]
                                          [--json out.json]

Needs ``shakespeare.txt`` (``$TINYGRAD_SGD_DATA/text/``, the cache, or ``--data FILE``);
see ``tinygrad_sgd/data/text.py``. The model and the thread settings are
``bench_gpt.py``'s.
"""
import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bench_gpt import measure, set_threads, torch_gpt  # noqa: E402

SHAPE = dict(block_size=64, n_layer=4, n_head=4, n_embd=128)
BATCH, STEPS_IN_SCHEDULE, WARMUP = 32, 5000, 100


def steppers(text):
    """One training step of the lesson per call, for each library, from the same weights and
    on the same batches."""
    import numpy as np
    import torch
    from tinygrad_sgd import nn, random as R
    from tinygrad_sgd.data.text import TextStream
    from tinygrad_sgd.models import GPT, GPTConfig
    from tinygrad_sgd.tutorials.gpt import lr_schedule

    data = TextStream(text, SHAPE["block_size"])
    config = GPTConfig(vocab_size=data.vocab_size, **SHAPE)
    theirs = torch_gpt(config)
    ours = GPT(config)
    ours.load_state_dict(theirs.state_dict())
    g = R.Generator().manual_seed(1337)
    feed = [data.get_batch("train", BATCH, g) for _ in range(8)]

    def torch_optimizer(model):
        params = list(model.parameters())
        opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2],
                                  "weight_decay": 0.1},
                                 {"params": [p for p in params if p.dim() < 2],
                                  "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
        S = torch.optim.lr_scheduler
        return opt, S.SequentialLR(opt, [S.LinearLR(opt, 1 / WARMUP, total_iters=WARMUP),
                                         S.CosineAnnealingLR(opt, STEPS_IN_SCHEDULE - WARMUP,
                                                             1e-4)], [WARMUP])

    def make(model, opt, sched, clip, batches):
        state = {"i": 0}

        def step():
            x, y = batches[state["i"] % len(batches)]
            state["i"] += 1
            _, loss = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            clip(model.parameters(), 1.0)
            opt.step()
            sched.step()
            return loss.item()
        return step

    opt = ours.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    ours_step = make(ours, opt, lr_schedule(opt, STEPS_IN_SCHEDULE, WARMUP, 1e-4),
                     nn.utils.clip_grad_norm_, feed)
    torch_feed = [(torch.from_numpy(np.array(x.numpy())), torch.from_numpy(np.array(y.numpy())))
                  for x, y in feed]
    topt, tsched = torch_optimizer(theirs)
    torch_step = make(theirs, topt, tsched, torch.nn.utils.clip_grad_norm_, torch_feed)
    assert abs(ours_step() - torch_step()) < 1e-4       # the same program: the same first loss
    return ours_step, torch_step


def run(text, threads, steps, block=2):
    how = set_threads(threads)
    ours, theirs = steppers(text)
    for f in (ours, theirs):
        measure(f, 2)
    t_ours, t_torch = [], []
    while len(t_ours) < steps:
        t_ours += measure(ours, block)
        t_torch += measure(theirs, block)
    tokens = BATCH * SHAPE["block_size"]
    res = {"threads": threads, "steps": len(t_ours), "blas": how}
    for i, kind in enumerate(("wall", "cpu")):
        mo = statistics.median(t[i] for t in t_ours) * 1e3
        mt = statistics.median(t[i] for t in t_torch) * 1e3
        res.update({f"ours_{kind}_ms": mo, f"torch_{kind}_ms": mt, f"{kind}_ratio": mo / mt,
                    f"ours_{kind}_tokens_per_s": tokens / mo * 1e3,
                    f"torch_{kind}_tokens_per_s": tokens / mt * 1e3})
        print(f"threads={threads} {kind:4s}: ours {mo:7.1f} ms/step ({tokens / mo * 1e3:7,.0f} "
              f"tokens/s)   torch {mt:7.1f} ms/step ({tokens / mt * 1e3:7,.0f} tokens/s)   "
              f"ratio {mo / mt:.2f}x   ({len(t_ours)} steps each)")
    return res


def time_default_lesson(out_dir):
    """Wall and CPU seconds of ``tinygrad-sgd gpt`` with its defaults (run in this process,
    quietly), and the ms per training step it reports."""
    from tinygrad_sgd.tutorials import gpt
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        result = gpt.main(["--out", out_dir, "--quiet"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"default lesson (names, 1 layer x 16, 1000 steps): {wall:.0f} s wall, {cpu:.0f} s "
          f"CPU, {result['ms_per_step']:.1f} ms per training step, final val loss "
          f"{result['history']['val'][-1]:.4f}")
    return {"wall_s": wall, "cpu_s": cpu, "ms_per_step": result["ms_per_step"],
            "val_loss": result["history"]["val"][-1]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=20, help="timed steps of each (default 20)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--data", default="shakespeare", help="corpus name or file")
    p.add_argument("--lesson", action="store_true", help="also time the default lesson")
    p.add_argument("--lesson-threads", type=int, default=1,
                   help="threads (torch's, our pool's and BLAS's) for the lesson (default 1)")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args()
    from tinygrad_sgd.data.text import load_corpus
    text = load_corpus(args.data)
    results = {"shape": dict(SHAPE, batch=BATCH), "runs": [run(text, n, args.steps)
                                                           for n in args.threads]}
    if args.lesson:
        set_threads(args.lesson_threads)
        results["default_lesson"] = time_default_lesson(os.path.join("out", "bench_gpt_lesson"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
