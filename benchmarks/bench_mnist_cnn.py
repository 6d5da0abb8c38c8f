"""One training step of the PyTorch-tutorial CNN (forward, NLL loss, backward, SGD momentum)
with tinygrad_sgd and with torch, in the same process, alternating blocks of steps (warm-up
and the first step of each block dropped), medians — at batch 64 and 256, with both sides at
1 thread and at 2 threads.

    python benchmarks/bench_mnist_cnn.py [--steps 60] [--json benchmarks/results/mnist_cnn.json]

Each thread setting runs in its own subprocess (OpenBLAS reads its thread count at start-up;
torch is set to the same count). Then two more subprocesses run 200 training steps each, one
of ours and one of torch's, and report peak resident memory above the process's baseline.
Each row names the kernel set ours ran with (``tinygrad_sgd.kernels.backend()``: "numba" when
numba is installed, else "numpy"; ``TINYGRAD_SGD_KERNELS`` forces one). Last, the time of our
first training step in a fresh process: cold (numba's on-disk cache empty, so the compiled
kernels compile) and warm (they load from the cache).
"""
import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


DATA = {"name": None}


def _batches(batch_size, n_batches=8, seed=0):
    """Real MNIST test images when available (many tied maxima, as in training), else noise.
    Which one matters for torch: its max pooling (NCHW, one thread) compares with branches,
    and on noise, where they mispredict, torch's step measured 7.2 ms at batch 64 instead of
    5.0 on MNIST (ours: the same on both). ``DATA["name"]`` says which was used."""
    rng = np.random.default_rng(seed)
    try:
        from tinygrad_sgd.data import MNIST
        ds = MNIST(train=False, download=False)
        idx = rng.permutation(len(ds))[:batch_size * n_batches]
        x, y = ds.data[idx], ds.targets[idx]
        DATA["name"] = "MNIST test images"
    except (FileNotFoundError, ValueError):
        x = rng.standard_normal((batch_size * n_batches, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, batch_size * n_batches)
        DATA["name"] = "random normal images (MNIST not found: set TINYGRAD_SGD_DATA)"
    return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]


def _torch_model():
    import torch
    from torch_reference import TorchCNN
    torch.manual_seed(0)
    return TorchCNN()


def stepper(model, optimizer, loss_fn, tensor, batches):
    """One training step per call, cycling through ``batches`` (converted once with
    ``tensor``): the same program for both frameworks."""
    data = itertools.cycle([(tensor(x), tensor(y)) for x, y in batches])

    def step():
        x, y = next(data)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def ours_stepper(batches, state_dict=None):
    import tinygrad_sgd as tg
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F
    from tinygrad_sgd.optim import SGD
    tg.manual_seed(0)
    model = SimpleCNN()
    if state_dict is not None:
        model.load_state_dict(state_dict)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    return stepper(model, opt, F.nll_loss, tg.from_numpy, batches)


def torch_stepper(batches, model=None):
    import torch
    import torch.nn.functional as F
    model = model or _torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return stepper(model, opt, F.nll_loss, torch.from_numpy, batches)


# Each block starts with one unmeasured step: at two threads the first step after torch's
# block measured 10.5 ms instead of 3.1 (batch 64; torch's OpenMP worker keeps spinning for
# several ms after its last parallel region and takes a core), a cost no program using one of
# the two libraries pays. Both sides get the same.
SETTLE = 1


def time_alternating(steppers, steps, block=10, warmup=10, cpu=None):
    """Median seconds per step of each stepper, run in alternating blocks (each block's first
    step, :data:`SETTLE`, not measured). ``cpu`` (a dict), if given, receives each one's
    median CPU seconds per step (``time.process_time``: all of the process's threads; on a
    loaded machine less noisy than the wall clock)."""
    for step in steppers.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steppers}
    cpu_times = {name: [] for name in steppers}
    for _ in range(max(1, steps // block)):
        for name, step in steppers.items():
            for _ in range(SETTLE):
                step()
            for _ in range(block):
                t0, c0 = time.perf_counter(), time.process_time()
                step()
                times[name].append(time.perf_counter() - t0)
                cpu_times[name].append(time.process_time() - c0)
    if cpu is not None:
        cpu.update({name: float(np.median(t)) for name, t in cpu_times.items()})
    return {name: float(np.median(t)) for name, t in times.items()}


def worker_timing(threads, batch_sizes, steps):
    import torch
    from machine import core_round_trip_ns
    from tinygrad_sgd import kernels
    torch.set_num_threads(threads)
    rows = []
    for bs in batch_sizes:
        batches = _batches(bs)
        tmodel = _torch_model()
        sd = {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}
        cpu = {}
        cores = [core_round_trip_ns()] if threads > 1 else []
        med = time_alternating({"ours": ours_stepper(batches, sd),
                                "torch": torch_stepper(batches, tmodel)}, steps, cpu=cpu)
        cores += [core_round_trip_ns()] if threads > 1 else []
        rows.append({"batch": bs, "threads": threads, "ours_ms": med["ours"] * 1e3,
                     "torch_ms": med["torch"] * 1e3, "ratio": med["ours"] / med["torch"],
                     "ours_cpu_ms": cpu["ours"] * 1e3, "torch_cpu_ms": cpu["torch"] * 1e3,
                     "cpu_ratio": cpu["ours"] / cpu["torch"], "kernels": kernels.backend(),
                     "load": os.getloadavg()[0], "data": DATA["name"],
                     "core_round_trip_ns": cores})
    return rows


def worker_first_step(batch_size):
    """Seconds of our first training step in this fresh process (import excluded), and of
    making the model and optimizer before it (its initial weights are random draws)."""
    batches = _batches(batch_size, n_batches=1)
    import tinygrad_sgd  # noqa: F401
    from tinygrad_sgd import kernels
    t0 = time.perf_counter()
    step = ours_stepper(batches)
    model = time.perf_counter() - t0
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    step()
    return {"kernels": kernels.backend(), "model_s": model, "first_s": first,
            "second_s": time.perf_counter() - t0}


def _rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker_memory(which, steps, batch_size):
    batches = _batches(batch_size)
    if which == "torch":
        import torch
        torch.set_num_threads(1)
        step = torch_stepper(batches)
    else:
        step = ours_stepper(batches)
    step()
    base = _rss_mb()
    rss = []
    for i in range(steps):
        step()
        if i % 20 == 0:
            rss.append(_rss_mb())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"which": which, "steps": steps, "batch": batch_size, "baseline_mb": base,
            "peak_mb": peak, "peak_above_baseline_mb": peak - base,
            "rss_first_mb": rss[0], "rss_last_mb": rss[-1]}


def _run_worker(args, env_threads, **extra_env):
    # OPENBLAS_THREAD_TIMEOUT: OpenBLAS's idle threads spin ~2^28 cycles after each threaded
    # product by default and take the cores torch's OpenMP threads want (torch's two-thread
    # step measured 6-9 ms beside them, 3-4 ms without); 2^4 lets them sleep at once
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(env_threads),
               OMP_NUM_THREADS=str(env_threads), MKL_NUM_THREADS=str(env_threads),
               OPENBLAS_THREAD_TIMEOUT="4", **extra_env)
    out = subprocess.run([sys.executable, os.path.abspath(__file__)] + args, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60, help="timed steps per side per setting")
    ap.add_argument("--batch-sizes", default="64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--memory-steps", type=int, default=200, help="0: no memory measurement")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "mnist_cnn.json"))
    ap.add_argument("--no-first-step", action="store_true",
                    help="skip the cold/warm first-step timing (cold compiles for ~30 s)")
    ap.add_argument("--worker", choices=["timing", "memory-ours", "memory-torch", "first-step"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    if args.worker == "timing":
        print(json.dumps(worker_timing(args.worker_threads, sizes, args.steps)))
        return
    if args.worker == "first-step":
        print(json.dumps(worker_first_step(sizes[0])))
        return
    if args.worker:
        print(json.dumps(worker_memory(args.worker.split("-")[1], args.memory_steps, sizes[0])))
        return

    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        rows += _run_worker(["--worker", "timing", "--worker-threads", str(threads),
                             "--steps", str(args.steps), "--batch-sizes", args.batch_sizes],
                            threads)
    rows.sort(key=lambda r: (r["batch"], r["threads"]))
    print("MNIST tutorial CNN, one training step (forward + NLL + backward + SGD momentum), "
          "median ms/step (CPU ratio: of the median CPU times per step; load: 1-minute load "
          "average at the end of the row; cores: a cache line's round trip between the two "
          "threads before/after the row, ns — ~90 near, ~450 far apart, see machine.py)")
    print(f"data: {', '.join(sorted({r.get('data') or '?' for r in rows}))}")
    print(f"{'batch':>6} {'threads':>7} {'kernels':>8} {'tinygrad_sgd':>13} {'torch':>8} "
          f"{'ours/torch':>11} {'CPU ratio':>10} {'load':>5} {'cores':>9}")
    for r in rows:
        cores = "/".join(f"{c:.0f}" for c in r.get("core_round_trip_ns") or [] if c) or "-"
        print(f"{r['batch']:>6} {r['threads']:>7} {r['kernels']:>8} {r['ours_ms']:>13.2f} "
              f"{r['torch_ms']:>8.2f} {r['ratio']:>11.2f} {r['cpu_ratio']:>10.2f} "
              f"{r['load']:>5.1f} {cores:>9}")
    memory = [_run_worker(["--worker", f"memory-{w}", "--memory-steps",
                           str(args.memory_steps), "--batch-sizes", str(sizes[0])], 1)
              for w in ("ours", "torch")] if args.memory_steps > 0 else []
    if memory:
        print(f"\nPeak memory over {args.memory_steps} training steps at batch {sizes[0]} "
              f"(resident MB; above = peak minus the RSS after the first step):")
    for m in memory:
        print(f"  {m['which']:>6}: peak {m['peak_mb']:.0f} MB, "
              f"{m['peak_above_baseline_mb']:.1f} MB "
              f"above baseline; RSS step 1 {m['rss_first_mb']:.0f} MB -> step "
              f"{m['steps']} {m['rss_last_mb']:.0f} MB")
    first = []
    if not args.no_first_step:
        import tempfile
        with tempfile.TemporaryDirectory() as empty_cache:
            for name, env in (("cold", {"NUMBA_CACHE_DIR": empty_cache}), ("warm", {})):
                r = _run_worker(["--worker", "first-step", "--batch-sizes", str(sizes[0])], 1,
                                **env)
                first.append(dict(r, start=name))
        print(f"\nFirst training step of a fresh process at batch {sizes[0]}, 1 thread "
              f"(cold: numba's cache empty; warm: loaded from it):")
        for r in first:
            print(f"  {r['start']:>5} ({r['kernels']}): model {r['model_s']:.2f} s, first step "
                  f"{r['first_s']:.2f} s, second {r['second_s'] * 1e3:.0f} ms")
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"timing": rows, "memory": memory, "first_step": first}, f, indent=2)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
