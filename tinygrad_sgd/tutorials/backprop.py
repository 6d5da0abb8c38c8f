"""Lesson 9 — backpropagation by hand, tensor by tensor, checked against autograd.

``loss.backward()`` is the chain rule applied to every operation of the forward pass, last
to first. This lesson writes it out for the MLP of the previous lessons (embedding → Linear →
BatchNorm → tanh → Linear → cross entropy), its forward pass broken into single steps::

    emb = C[Xb];  embcat = emb.view(n, -1);  hprebn = embcat @ W1 + b1
    bnmeani = 1/n · hprebn.sum(0);  bndiff = hprebn - bnmeani;  bndiff2 = bndiff**2
    bnvar = 1/(n-1) · bndiff2.sum(0);  bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff · bnvar_inv;  hpreact = bngain · bnraw + bnbias;  h = tanh(hpreact)
    logits = h @ W2 + b2;  logit_maxes = logits.max(1);  norm_logits = logits - logit_maxes
    counts = norm_logits.exp();  counts_sum = counts.sum(1);  counts_sum_inv = counts_sum**-1
    probs = counts · counts_sum_inv;  logprobs = probs.log();  loss = -logprobs[range(n), Yb].mean()

and gives, for every tensor ``x``, the formula of ``dx`` = ∂loss/∂x from the gradients of the
tensors computed from it (:data:`STEPS`, one small function each). The rules:

* **a tensor used twice** gets the sum of both gradients (``counts`` feeds ``probs`` and
  ``counts_sum``: ``dcounts = counts_sum_inv · dprobs + dcounts_sum``);
* **broadcasting forward is summing backward** (``b1`` is added to every row: ``db1 =
  dhprebn.sum(0)``), and a **sum forward is broadcasting backward**;
* **a matrix product** ``y = a @ b`` sends ``da = dy @ bᵀ`` and ``db = aᵀ @ dy`` — the only
  shapes that fit;
* elementwise ops multiply by their local derivative: ``tanh′ = 1 − h²``, ``log′ = 1/x``,
  ``exp′ = exp``, ``(x^k)′ = k·x^(k−1)``.

Two formulas collapse whole layers: **cross entropy** (``dlogits = (softmax(logits) − one_hot(Yb))
/ n``) and **BatchNorm** (``dhprebn = γ·σ⁻¹/n · (n·dhpreact − Σ dhpreact − n/(n−1) · bnraw ·
Σ(dhpreact · bnraw))``). Each is compared with autograd's ``x.grad`` (``retain_grad()`` keeps
an intermediate's) as the course prints it: ``exact``, ``approximate`` (``allclose``) and the
``max difference``. Then the network trains on the hand-written backward alone.

``--exercise``: the first run writes ``backprop_exercise.py`` into ``--out`` with every formula
blanked out; fill them in and run again: each one you wrote is checked on its own (it is given
autograd's gradients of the tensors after it), so you can do them one at a time::

    python examples/backprop.py                 (the answers, checked)
    python examples/backprop.py --exercise      (your turn)
"""
import importlib.util
import os
from types import SimpleNamespace

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, close, shared_flags
from tinygrad_sgd.tutorials._lm_common import DATA_HELP, StepBar, one_hot, read_words

LESSON = "backprop"
EXERCISE_FILE = "backprop_exercise.py"

DESCRIPTION = ("The MLP's backward pass written out by hand, tensor by tensor (cross "
               "entropy, BatchNorm, tanh, linear, embedding), each gradient compared with "
               "autograd's; then training with the hand-written backward alone.")
FLAGS = [
    Flag("--data", str, "names", DATA_HELP),
    Flag("--block-size", int, 3, "characters of context (default 3)", at_least=1),
    Flag("--embedding", int, 10, "size of each character's vector (default 10)", at_least=1),
    Flag("--hidden", int, 64, "units of the hidden layer (default 64)", at_least=1),
    Flag("--batch-size", int, 32, "pairs per batch (default 32)", at_least=2),
    Flag("--steps", int, 1000, "training steps with the hand-written backward (default "
         "1000; 0: only the check)", at_least=0),
    Flag("--lr", float, 0.1, "learning rate of the training (default 0.1)"),
    Flag("--exercise", bool, False, f"check your own formulas instead: the first run writes "
         f"them, blanked out, to OUT/{EXERCISE_FILE}"),
    *shared_flags(
        LESSON, seed=2147483647,
        seed_help="seed of the Generator that draws the weights and the batches "
                  "(default 2147483647)",
        out_help=f"folder for gradient_check.png, loss.png and {EXERCISE_FILE} "
                 f"(default out/{LESSON})",
        quiet_help="no progress bar; print only the results"),
]


# ---------------------------------------------------------------------------- forward
def init_params(vocab_size, block_size, n_embd, n_hidden, generator):
    """The course's parameters (small random values everywhere, so that no mistake in a
    formula hides behind a zero)."""
    def randn(*shape):
        return R.randn(shape, generator=generator)
    fan_in = n_embd * block_size
    arrays = {"C": randn(vocab_size, n_embd),
              "W1": randn(fan_in, n_hidden) * np.float32((5 / 3) / fan_in ** 0.5),
              "b1": randn(n_hidden) * np.float32(0.1),
              "W2": randn(n_hidden, vocab_size) * np.float32(0.1),
              "b2": randn(vocab_size) * np.float32(0.1),
              "bngain": randn(1, n_hidden) * np.float32(0.1) + np.float32(1.0),
              "bnbias": randn(1, n_hidden) * np.float32(0.1)}
    return {k: tg.tensor(v.astype(np.float32), requires_grad=True) for k, v in arrays.items()}


def forward(p, Xb, Yb, bn_stats=None):
    """The forward pass in single steps. Returns the loss and ``t``: a namespace of every
    intermediate tensor (and the parameters, ``Xb``, ``Yb``, ``n``, ``V``). ``bn_stats``
    (mean, var) replaces the batch's statistics (evaluation after calibration)."""
    t = SimpleNamespace(**p, Xb=Xb, Yb=Yb, n=Xb.shape[0], V=p["C"].shape[0])
    n = t.n
    t.emb = t.C[Xb]
    t.embcat = t.emb.view(n, -1)
    t.hprebn = t.embcat @ t.W1 + t.b1
    t.bnmeani = 1 / n * t.hprebn.sum(0, keepdim=True)
    t.bndiff = t.hprebn - (t.bnmeani if bn_stats is None else bn_stats[0])
    t.bndiff2 = t.bndiff ** 2
    t.bnvar = 1 / (n - 1) * t.bndiff2.sum(0, keepdim=True)
    t.bnvar_inv = ((t.bnvar if bn_stats is None else bn_stats[1]) + 1e-5) ** -0.5
    t.bnraw = t.bndiff * t.bnvar_inv
    t.hpreact = t.bngain * t.bnraw + t.bnbias
    t.h = t.hpreact.tanh()
    t.logits = t.h @ t.W2 + t.b2
    t.logit_maxes = t.logits.max(1, keepdim=True).values
    t.norm_logits = t.logits - t.logit_maxes
    t.counts = t.norm_logits.exp()
    t.counts_sum = t.counts.sum(1, keepdim=True)
    t.counts_sum_inv = t.counts_sum ** -1
    t.probs = t.counts * t.counts_sum_inv
    t.logprobs = t.probs.log()
    loss = -t.logprobs[np.arange(n), Yb].mean()
    return loss, t


# ---------------------------------------------------------------------------- backward
# One function per tensor: its gradient from the forward tensors ``t`` and the gradients
# ``d`` of the tensors computed from it. The docstring is the forward line it undoes.
def dlogprobs(t, d):
    """loss = -logprobs[range(n), Yb].mean()"""
    out = tg.zeros_like(t.logprobs)
    out[np.arange(t.n), t.Yb] = -1.0 / t.n
    return out


def dprobs(t, d):
    """logprobs = probs.log()"""
    return d.logprobs / t.probs


def dcounts_sum_inv(t, d):
    """probs = counts * counts_sum_inv      (counts_sum_inv is broadcast along the rows)"""
    return (t.counts * d.probs).sum(1, keepdim=True)


def dcounts_sum(t, d):
    """counts_sum_inv = counts_sum**-1"""
    return -t.counts_sum ** -2 * d.counts_sum_inv


def dcounts(t, d):
    """probs = counts * counts_sum_inv;  counts_sum = counts.sum(1, keepdim=True)"""
    return t.counts_sum_inv * d.probs + d.counts_sum


def dnorm_logits(t, d):
    """counts = norm_logits.exp()"""
    return t.counts * d.counts


def dlogit_maxes(t, d):
    """norm_logits = logits - logit_maxes"""
    return -d.norm_logits.sum(1, keepdim=True)


def dlogits(t, d):
    """norm_logits = logits - logit_maxes;  logit_maxes = logits.max(1, keepdim=True).values"""
    return d.norm_logits + one_hot(t.logits.max(1).indices, t.V) * d.logit_maxes


def dh(t, d):
    """logits = h @ W2 + b2"""
    return d.logits @ t.W2.T


def dW2(t, d):
    """logits = h @ W2 + b2"""
    return t.h.T @ d.logits


def db2(t, d):
    """logits = h @ W2 + b2      (b2 is broadcast down the rows)"""
    return d.logits.sum(0)


def dhpreact(t, d):
    """h = hpreact.tanh()"""
    return (1.0 - t.h ** 2) * d.h


def dbngain(t, d):
    """hpreact = bngain * bnraw + bnbias"""
    return (t.bnraw * d.hpreact).sum(0, keepdim=True)


def dbnbias(t, d):
    """hpreact = bngain * bnraw + bnbias"""
    return d.hpreact.sum(0, keepdim=True)


def dbnraw(t, d):
    """hpreact = bngain * bnraw + bnbias"""
    return t.bngain * d.hpreact


def dbnvar_inv(t, d):
    """bnraw = bndiff * bnvar_inv"""
    return (t.bndiff * d.bnraw).sum(0, keepdim=True)


def dbnvar(t, d):
    """bnvar_inv = (bnvar + 1e-5)**-0.5"""
    return -0.5 * (t.bnvar + 1e-5) ** -1.5 * d.bnvar_inv


def dbndiff2(t, d):
    """bnvar = 1/(n-1) * bndiff2.sum(0, keepdim=True)"""
    return tg.ones_like(t.bndiff2) * d.bnvar / (t.n - 1)


def dbndiff(t, d):
    """bnraw = bndiff * bnvar_inv;  bndiff2 = bndiff**2"""
    return t.bnvar_inv * d.bnraw + 2 * t.bndiff * d.bndiff2


def dbnmeani(t, d):
    """bndiff = hprebn - bnmeani"""
    return -d.bndiff.sum(0, keepdim=True)


def dhprebn(t, d):
    """bndiff = hprebn - bnmeani;  bnmeani = 1/n * hprebn.sum(0, keepdim=True)"""
    return d.bndiff + tg.ones_like(t.hprebn) * d.bnmeani / t.n


def dembcat(t, d):
    """hprebn = embcat @ W1 + b1"""
    return d.hprebn @ t.W1.T


def dW1(t, d):
    """hprebn = embcat @ W1 + b1"""
    return t.embcat.T @ d.hprebn


def db1(t, d):
    """hprebn = embcat @ W1 + b1"""
    return d.hprebn.sum(0)


def demb(t, d):
    """embcat = emb.view(n, -1)"""
    return d.embcat.view(t.emb.shape)


def dC(t, d):
    """emb = C[Xb]      (= one_hot(Xb) @ C: row Xb[k, j] of C is used at (k, j))"""
    return one_hot(t.Xb.view(-1), t.V).to(d.emb.dtype).T @ d.emb.view(-1, t.C.shape[1])


def dlogits_fused(t, d):
    """loss = F.cross_entropy(logits, Yb)      (the whole of cross entropy at once)"""
    return (F.softmax(t.logits, 1) - one_hot(t.Yb, t.V)) / t.n


def dhprebn_fused(t, d):
    """hpreact = bngain * (hprebn - mean) / sqrt(var + 1e-5) + bnbias      (BatchNorm at once)"""
    n = t.n
    return t.bngain * t.bnvar_inv / n * (n * d.hpreact - d.hpreact.sum(0)
                                         - n / (n - 1) * t.bnraw * (d.hpreact * t.bnraw).sum(0))


# (name of the tensor, its formula), from the loss back to the parameters
STEPS = [(fn.__name__[1:], fn) for fn in (
    dlogprobs, dprobs, dcounts_sum_inv, dcounts_sum, dcounts, dnorm_logits, dlogit_maxes,
    dlogits, dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw, dbnvar_inv, dbnvar, dbndiff2,
    dbndiff, dbnmeani, dhprebn, dembcat, dW1, db1, demb, dC, dlogits_fused, dhprebn_fused)]
FUSED_CHAIN = ("logits_fused", "h", "W2", "b2", "hpreact", "bngain", "bnbias",
               "hprebn_fused", "embcat", "W1", "b1", "emb", "C")
PARAMS = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")


def tensor_name(step):
    return step.removesuffix("_fused")          # a fused formula gives its tensor's gradient


def manual_backward(t, steps=tuple(name for name, _ in STEPS)):
    """The hand-written backward: each formula of ``steps`` in turn, every one fed by the
    gradients computed before it (a fused step stands for its tensor)."""
    formulas, d = dict(STEPS), SimpleNamespace()
    for name in steps:
        value = formulas[name](t, d)
        setattr(d, name, value)
        setattr(d, tensor_name(name), value)
    return d


# ---------------------------------------------------------------------------- checking
def compare(mine, autograd):
    """``(exact, approximate, max difference)`` of a hand-made gradient and autograd's,
    the course's ``cmp``; None where the shapes differ."""
    a, b = np.asarray(mine), np.asarray(autograd)
    if a.shape != b.shape:
        return None
    return bool(np.array_equal(a, b)), bool(np.allclose(a, b)), float(np.abs(a - b).max())


def check_line(name, result):
    """One line of the table: the comparison, or what went wrong (a string)."""
    if isinstance(result, str):
        return f"{name:15s} | {result}"
    exact, approximate, diff = result
    return (f"{name:15s} | exact: {str(exact):5s} | approximate: {str(approximate):5s} | "
            f"max difference: {diff:.3g}")


def autograd_pass(p, Xb, Yb):
    """Forward and ``loss.backward()`` with every intermediate's gradient kept."""
    loss, t = forward(p, Xb, Yb)
    for name in (n for n, _ in STEPS if n not in PARAMS and not n.endswith("_fused")):
        getattr(t, name).retain_grad()
    for v in p.values():
        v.grad = None
    loss.backward()
    return loss, t


def exercise_template(t):
    """The text of the exercise file: every formula of :data:`STEPS` with its body blanked."""
    lines = ['"""Backprop by hand — your turn. Write each gradient below, then run',
             '    tinygrad-sgd backprop --exercise --out <this folder>',
             'again: every formula you wrote is checked against autograd, in isolation — `d`',
             'holds autograd\'s gradients of the tensors computed from this one (d.probs,',
             'd.logits, ...), `t` the forward tensors (t.logits, t.W2, t.n, t.V, t.Yb, ...),',
             'all tinygrad_sgd Tensors. Formulas left as `return None` are skipped."""',
             "import numpy as np\n\nimport tinygrad_sgd as tg\nimport tinygrad_sgd.nn."
             "functional as F\nfrom tinygrad_sgd.tutorials._lm_common import one_hot  "
             "# one_hot(ids, n)\n"]
    for name, fn in STEPS:
        shape = tuple(getattr(t, tensor_name(name)).shape)
        lines += ["", f"def d{name}(t, d):",
                  f'    """{fn.__doc__}', f"    -> the gradient of the loss w.r.t. "
                  f"{tensor_name(name)}, shape {shape}\"\"\"", "    return None", ""]
    return "\n".join(lines)


def check_exercise(path, t, log):
    """Run the learner's formulas of ``path``, each given autograd's upstream gradients;
    returns {name: (exact, approximate, max difference) or a string saying what went wrong}."""
    spec = importlib.util.spec_from_file_location("backprop_exercise", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    truth = SimpleNamespace(**{tensor_name(n): getattr(t, tensor_name(n)).grad for n, _ in STEPS})
    results = {}
    for name, _ in STEPS:
        fn = getattr(module, f"d{name}", None)
        try:
            mine = None if fn is None else fn(t, truth)
        except Exception as e:                       # the learner's code: report, go on
            results[name] = f"error: {type(e).__name__}: {e}"
        else:
            expected = getattr(truth, tensor_name(name)).array
            mine = None if mine is None else np.asarray(getattr(mine, "array", mine))
            results[name] = ("not written yet" if mine is None else
                             compare(mine, expected) or
                             f"wrong shape {mine.shape}, expected {expected.shape}")
        log(check_line(name, results[name]))
    return results


# ---------------------------------------------------------------------------- the lesson
def run(args):
    """Check the hand-written gradients (or the learner's), then train with them. Returns
    ``{"checks", "losses", "split_losses", "files"}``: name → (exact, approximate, max
    difference) (a string for an exercise formula not written or failing), the loss of every
    training step and the calibrated train/val losses."""
    from tinygrad_sgd.data.text import WordDataset
    from tinygrad_sgd.viz.lm_plots import plot_curves, plot_gradient_check

    words = read_words(args.data, LESSON)
    train, val, _ = WordDataset.splits(words, block_size=args.block_size)
    g = R.Generator().manual_seed(args.seed)
    p = init_params(train.tokenizer.vocab_size, args.block_size, args.embedding, args.hidden, g)
    Xb, Yb = train[R.randint(0, len(train), (args.batch_size,), generator=g)]
    loss, t = autograd_pass(p, Xb, Yb)
    print(f"one batch of {args.batch_size}: loss {loss.item():.4f}\n")
    files = {"gradient_check": os.path.join(args.out, "gradient_check.png")}

    if args.exercise:
        path = os.path.join(args.out, EXERCISE_FILE)
        if not os.path.exists(path):
            os.makedirs(args.out, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(exercise_template(t))
            print(f"wrote {path}: {len(STEPS)} formulas to fill in; run this again to check them")
        checks = check_exercise(path, t, print)
        done = [n for n, r in checks.items() if isinstance(r, tuple) and r[1]]
        print(f"\n{len(done)} of {len(STEPS)} formulas agree with autograd")
        close(plot_gradient_check({n: r for n, r in checks.items() if isinstance(r, tuple)},
                                  files["gradient_check"], title="Your gradients against autograd"))
        return {"checks": checks, "losses": [], "split_losses": {}, "files": files}

    with tg.no_grad():
        d = manual_backward(t)
    checks = {}
    for name, _ in STEPS:
        checks[name] = compare(getattr(d, name).array, getattr(t, tensor_name(name)).grad.array)
        print(check_line(name, checks[name]))
    close(plot_gradient_check(checks, files["gradient_check"]))

    losses = []
    with StepBar(args.steps, LESSON, args.quiet) as bar:
        for i in range(args.steps):
            Xb, Yb = train[R.randint(0, len(train), (args.batch_size,), generator=g)]
            with tg.no_grad():                        # no graph: the gradients are ours
                loss, t = forward(p, Xb, Yb)
                d = manual_backward(t, FUSED_CHAIN)
                lr = args.lr if i < args.steps // 2 else args.lr / 10
                for name in PARAMS:
                    p[name].data += -lr * getattr(d, name)
            losses.append(loss.item())
            bar.update(losses[-1], lr)
    split_losses = {}
    if args.steps:
        with tg.no_grad():                            # calibrate BatchNorm on the train set
            h = p["C"][train.X].view(len(train), -1) @ p["W1"] + p["b1"]
            stats = (h.mean(0, keepdim=True), h.var(0, keepdim=True, unbiased=True))
            split_losses = {name: forward(p, ds.X, ds.Y, stats)[0].item()
                            for name, ds in (("train", train), ("val", val))}
        print(f"\ntrained {args.steps} steps with the hand-written backward only: last batch "
              f"loss {losses[-1]:.4f}; train {split_losses['train']:.4f}, "
              f"val {split_losses['val']:.4f} (BatchNorm calibrated on the training set)")
        files["loss"] = os.path.join(args.out, "loss.png")
        close(plot_curves({"minibatch": (np.arange(len(losses)), losses)}, files["loss"],
                          title="Training with the hand-written backward",
                          hlines={"val": split_losses["val"]}))
    if not args.quiet:
        print("saved " + ", ".join(files.values()))
    return {"checks": checks, "losses": losses, "split_losses": split_losses, "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
