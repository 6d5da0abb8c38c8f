"""The language-model lessons (bigram, mlp, batchnorm, backprop, gpt) and ``sample``.

* the course's own numbers on its 32,033 names (``../shared/data/text/makemore_names.txt``,
  skipped without it): the counting bigram's NLL 2.4543561935424805 and the five names torch
  samples with ``Generator().manual_seed(2147483647)`` (torch is run here to get them);
* ``bigram``, ``mlp`` and ``gpt`` against the same program in torch — weights copied, the same
  batches — for a few dozen steps: the same losses;
* ``backprop``: every hand-written gradient agrees with autograd; the exercise mode;
* every lesson run briefly: what it prints, its figures, its progress bar, ``--quiet``, the
  GPT's checkpoint, ``--resume`` and ``tinygrad-sgd sample``.
"""
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import cli
from tinygrad_sgd import random as R
from tinygrad_sgd.data.text import TextStream, WordDataset, load_corpus, load_words
from tinygrad_sgd.models import GPT, GPTConfig
from tinygrad_sgd.tutorials import backprop, batchnorm, bigram, gpt, makemore_mlp, sample
from helpers import close_figures, n_colours, read_png  # noqa: F401  (autouse fixture)
from test_gpt import TorchGPT

ROOT = Path(__file__).resolve().parents[1]
COURSE_NAMES = ROOT.parent / "shared" / "data" / "text" / "makemore_names.txt"
needs_course_names = pytest.mark.skipif(not COURSE_NAMES.is_file(),
                                        reason=f"needs {COURSE_NAMES}")
SEED = 2147483647
LESSONS = [bigram, makemore_mlp, batchnorm, backprop, gpt, sample]


def run_quietly(module, argv):
    """Run a lesson with ``--quiet``; returns its result and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = module.main(argv + ["--quiet"])
    return result, out.getvalue()


def assert_png(path):
    """A real picture (colours counted on every 4th pixel: these figures are large)."""
    pixels = read_png(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert n_colours(pixels[::4, ::4]) > 20, f"{path} is nearly blank"


def torch_multinomial_names(P, n, seed):
    """The course's sampling loop, in torch, from the probability rows ``P`` (V × V)."""
    g = torch.Generator().manual_seed(seed)
    itos = ".abcdefghijklmnopqrstuvwxyz"
    names = []
    for _ in range(n):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append("".join(out))
    return names


# ---------------------------------------------------------------------------- the course's numbers
@needs_course_names
def test_bigram_prints_the_course_nll_and_samples(tmp_path):
    result, out = run_quietly(bigram, ["--data", str(COURSE_NAMES), "--epochs", "1",
                                       "--out", str(tmp_path)])
    assert result["nll"] == 2.4543561935424805                 # the course, run with torch
    assert "2.4543561935424805  (the course's float32 running sum)" in out
    words = COURSE_NAMES.read_text().splitlines()
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)} | {".": 0}
    pairs = [(stoi[a], stoi[b]) for w in words for a, b in zip("." + w, w + ".")]
    N = torch.zeros((27, 27), dtype=torch.int32)
    N.index_put_(tuple(torch.tensor(pairs).T), torch.ones(len(pairs), dtype=torch.int32),
                 accumulate=True)                          # the course's N[ix1, ix2] += 1
    np.testing.assert_array_equal(result["counts"], N.numpy())
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    assert result["samples"] == torch_multinomial_names(P, 5, SEED)   # torch's five names
    xs, ys = torch.tensor(pairs).T
    assert result["nll_mean"] == pytest.approx((-P[xs, ys].log().mean()).item(), rel=1e-6)
    for name in result["samples"]:
        assert name in out


# ---------------------------------------------------------------------------- bigram
@pytest.fixture(scope="module")
def bigram_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bigram")
    return run_quietly(bigram, ["--epochs", "20", "--out", str(out_dir)])


def test_bigram_network_matches_torch(bigram_run):
    result, _ = bigram_run
    xs, ys, tok = bigram.bigrams(load_words("names"))
    V = tok.vocab_size
    w0 = R.randn((V, V), generator=R.Generator().manual_seed(SEED))     # the lesson's W
    torch_w0 = torch.randn((V, V), generator=torch.Generator().manual_seed(SEED))
    np.testing.assert_array_equal(w0, torch_w0.numpy())                # the course's W too
    W = torch.tensor(w0, requires_grad=True)
    xenc = TF.one_hot(torch.from_numpy(xs), num_classes=V).float()
    ys_t, losses = torch.from_numpy(ys), []
    for _ in range(20):
        counts = (xenc @ W).exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(len(xs)), ys_t].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
        losses.append(loss.item())
    np.testing.assert_allclose(result["losses"], losses, rtol=2e-6)
    np.testing.assert_allclose(result["W"], W.detach().numpy(), rtol=1e-4, atol=2e-6)
    assert result["nlls"][-1] < result["nlls"][0] - 0.8


def test_bigram_output_and_figures(bigram_run):
    result, out = bigram_run
    assert result["counts"].sum() == len(bigram.bigrams(load_words("names"))[0])
    assert f"{result['nll']!r}" in out and "network (after 20 epochs)" in out
    assert len(result["samples"]) == len(result["net_samples"]) == 5
    assert all(s.endswith(".") for s in result["samples"] + result["net_samples"])
    for path in result["files"].values():
        assert_png(path)


# ---------------------------------------------------------------------------- mlp
@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("mlp")
    return run_quietly(makemore_mlp, ["--steps", "40", "--embedding", "2", "--sweep-steps",
                                      "40", "--samples", "5", "--out", str(out_dir)])


def test_mlp_matches_torch_same_weights_same_batches(mlp_run):
    result, _ = mlp_run
    train = WordDataset.splits(load_words("names"), block_size=3)[0]
    g = R.Generator().manual_seed(SEED)
    p0 = makemore_mlp.init_params(27, 3, 2, 200, g)
    batches = [R.randint(0, len(train), (32,), generator=g) for _ in range(40)]
    tg_ = torch.Generator().manual_seed(SEED)                       # the course's stream
    for name, shape in zip(makemore_mlp.PARAMS, [(27, 2), (6, 200), (200,), (200, 27), (27,)]):
        np.testing.assert_array_equal(p0[name].numpy(), torch.randn(shape, generator=tg_))
    np.testing.assert_array_equal(batches[0], torch.randint(0, len(train), (32,), generator=tg_))
    P = {k: torch.tensor(v.numpy(), requires_grad=True) for k, v in p0.items()}
    X, Y, losses = torch.tensor(train.X.numpy()), torch.tensor(train.Y.numpy()), []
    for i, ix in enumerate(batches):
        emb = P["C"][X[ix]]
        h = torch.tanh(emb.view(-1, 6) @ P["W1"] + P["b1"])
        loss = TF.cross_entropy(h @ P["W2"] + P["b2"], Y[ix])
        for t in P.values():
            t.grad = None
        loss.backward()
        for t in P.values():
            t.data += -(0.1 if i < 20 else 0.01) * t.grad
        losses.append(loss.item())
    np.testing.assert_allclose(result["losses"], losses, rtol=2e-6)
    for name, t in P.items():
        np.testing.assert_allclose(result["params"][name], t.detach().numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)
    # sampling from the lesson's final weights draws torch's names
    W = {k: torch.tensor(v) for k, v in result["params"].items()}
    g, names = torch.Generator().manual_seed(SEED + 10), []
    itos = dict(enumerate(".abcdefghijklmnopqrstuvwxyz"))
    for _ in range(5):
        out, context = [], [0, 0, 0]
        while True:
            h = torch.tanh(W["C"][torch.tensor([context])].view(1, -1) @ W["W1"] + W["b1"])
            ix = torch.multinomial(TF.softmax(h @ W["W2"] + W["b2"], dim=1), num_samples=1,
                                   generator=g).item()
            context = context[1:] + [ix]
            out.append(itos[ix])
            if ix == 0:
                break
        names.append("".join(out))
    assert result["samples"] == names


def test_mlp_output_and_figures(mlp_run):
    result, out = mlp_run
    assert set(result["split_losses"]) == {"train", "val", "test"}
    for split, value in result["split_losses"].items():
        assert f"{split:5s} loss {value:.4f}" in out
    assert result["losses"][-1] < result["losses"][0]
    assert len(result["sweep"][0]) == 40 and result["sweep"][0][0] == -3.0
    assert set(result["files"]) == {"loss", "embedding", "lr_sweep"}
    for path in result["files"].values():
        assert_png(path)
    assert result["params"]["C"].shape == (27, 2)                # --embedding 2


# ---------------------------------------------------------------------------- batchnorm
def test_batchnorm_diagnostics(tmp_path):
    result, out = run_quietly(batchnorm, ["--steps", "15", "--layers", "3", "--hidden", "40",
                                          "--out", str(tmp_path)])
    variants = result["variants"]
    assert list(variants) == ["naive", "kaiming", "batchnorm"]
    naive, bn = variants["naive"], variants["batchnorm"]
    assert min(naive["saturation"]) > 0.5 > 0.2 > max(bn["saturation"])    # what it teaches
    assert len(naive["tanh"]) == 3 and len(bn["ratios"]) == 4
    assert all(len(r) == 15 for r in bn["ratios"].values())
    assert variants["kaiming"]["losses"][0] == pytest.approx(np.log(27), abs=0.1)
    assert "saturated" in out and "grad:data ratio" in out
    for path in result["files"].values():
        assert_png(path)
    model = batchnorm.build_model("batchnorm", 27, 3, 10, 40, 3, R.Generator().manual_seed(1))
    assert sum(isinstance(m, tg.nn.BatchNorm1d) for m in model) == 4


# ---------------------------------------------------------------------------- backprop
def test_backprop_hand_gradients_match_autograd_and_train(tmp_path):
    result, out = run_quietly(backprop, ["--steps", "10", "--out", str(tmp_path)])
    checks = result["checks"]
    assert len(checks) == len(backprop.STEPS) == 28
    for name, (exact, approximate, diff) in checks.items():
        assert approximate and diff < 1e-6, name
        assert f"{name:15s} | exact: {str(exact):5s} | approximate: True  | max difference" in out
    assert checks["logprobs"][0] and checks["W2"][0]               # the same operations: exact
    assert len(result["losses"]) == 10 and set(result["split_losses"]) == {"train", "val"}
    for path in result["files"].values():
        assert_png(path)


def test_backprop_formulas_in_float64_agree_with_autograd_closely():
    train = WordDataset.splits(load_words("names"), block_size=3)[0]
    p = backprop.init_params(27, 3, 10, 64, R.Generator().manual_seed(0))
    p = {k: tg.tensor(v.numpy().astype(np.float64), requires_grad=True) for k, v in p.items()}
    loss, t = backprop.autograd_pass(p, *train[np.arange(32)])
    with tg.no_grad():
        d = backprop.manual_backward(t)
    for name, _ in backprop.STEPS:
        np.testing.assert_allclose(getattr(d, name).numpy(),
                                   getattr(t, backprop.tensor_name(name)).grad.numpy(),
                                   rtol=1e-10, atol=1e-13, err_msg=name)


def test_backprop_exercise_writes_blanks_then_checks_the_learners_formulas(tmp_path):
    result, out = run_quietly(backprop, ["--exercise", "--out", str(tmp_path)])
    path = tmp_path / backprop.EXERCISE_FILE
    assert path.is_file() and "wrote" in out
    assert set(result["checks"].values()) == {"not written yet"}
    text = path.read_text()
    # the learner fills in three: one right, one of the wrong shape, one that raises
    text = text.replace('shape (32, 27)"""\n    return None',
                        'shape (32, 27)"""\n    return d.logprobs / t.probs', 2)
    text = text.replace('def dlogprobs(t, d):', 'def dlogprobs_unused(t, d):')
    text = text.replace('w.r.t. h, shape (32, 64)"""\n    return None',
                        'w.r.t. h, shape (32, 64)"""\n    return d.logits')
    text = text.replace('w.r.t. C, shape (27, 10)"""\n    return None',
                        'w.r.t. C, shape (27, 10)"""\n    return 1 / 0')
    path.write_text(text)
    result, out = run_quietly(backprop, ["--exercise", "--out", str(tmp_path)])
    checks = result["checks"]
    assert checks["probs"][1] and checks["probs"][2] < 1e-6
    assert checks["h"] == "wrong shape (32, 27), expected (32, 64)"
    assert checks["C"] == "error: ZeroDivisionError: division by zero"
    assert checks["counts"] == "not written yet"
    assert "1 of 28 formulas agree with autograd" in out
    assert_png(result["files"]["gradient_check"])


# ---------------------------------------------------------------------------- gpt
GPT_FLAGS = ["--steps", "24", "--warmup", "5", "--eval-interval", "12", "--eval-iters", "2",
             "--num-samples", "3", "--max-new-tokens", "16", "--block-size", "16"]


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("gpt")
    return run_quietly(gpt, GPT_FLAGS + ["--out", str(out_dir)])


def test_gpt_matches_torch_same_weights_same_batches(gpt_run):
    result, _ = gpt_run
    data = TextStream(load_corpus("names"), 16)
    config = GPTConfig(vocab_size=27, block_size=16, n_layer=1, n_head=4, n_embd=16)
    tg.manual_seed(1337)
    theirs = TorchGPT(config)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in GPT(config).state_dict().items()})
    params = list(theirs.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2],
                              "weight_decay": 0.1},
                             {"params": [p for p in params if p.dim() < 2],
                              "weight_decay": 0.0}], lr=1e-2, betas=(0.9, 0.99))
    S = torch.optim.lr_scheduler
    sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.2, 1.0, total_iters=5),
                                 S.CosineAnnealingLR(opt, T_max=19, eta_min=1e-3)], [5])
    g, losses = R.Generator().manual_seed(1337), []
    for _ in range(24):
        x, y = (torch.tensor(t.numpy()) for t in data.get_batch("train", 32, g))
        _, loss = theirs(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    np.testing.assert_allclose(result["step_losses"], losses, rtol=2e-6)
    ours, _, ckpt = gpt.load_model(result["checkpoint"])
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), p.detach().numpy(),
                                   rtol=1e-4, atol=5e-5, err_msg=name)
    assert ckpt["step"] == 24 and ckpt["words"] is True


def test_gpt_lr_schedule_is_torchs():
    ours_model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4))
    opt = ours_model.configure_optimizers(0.1, 3e-3)
    sched = gpt.lr_schedule(opt, 30, 7, 3e-4)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=3e-3)
    S = torch.optim.lr_scheduler
    tsched = S.SequentialLR(topt, [S.LinearLR(topt, 1 / 7, 1.0, total_iters=7),
                                   S.CosineAnnealingLR(topt, T_max=23, eta_min=3e-4)], [7])
    for _ in range(30):
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()


def test_gpt_output_checkpoint_and_figures(gpt_run):
    result, out = gpt_run
    assert result["history"]["step"] == [0, 12, 24]
    assert result["history"]["val"][0] == pytest.approx(np.log(27), abs=0.05)
    assert "step 24: train loss" in out and "tokens per second" in out
    assert len(result["samples"]) == 3 and all("\n" not in s for s in result["samples"])
    for s in result["samples"]:
        assert s in out
    assert result["attention"].shape == (1, 4, 16, 16)
    np.testing.assert_allclose(result["attention"].sum(-1), 1.0, rtol=1e-5)
    assert np.all(np.triu(result["attention"], 1) == 0)                # causal
    assert_png(result["files"]["loss"])
    assert_png(result["files"]["attention"])


def test_attention_weights_are_the_ones_the_model_uses():
    tg.manual_seed(3)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8))
    idx = tg.tensor(np.arange(7)[None] % 11)
    maps = gpt.attention_weights(model, idx)
    with tg.no_grad():
        x = model.transformer.wte(idx) + model.transformer.wpe(np.arange(7))
        for layer, block in enumerate(model.transformer.h):
            v = block.attn.c_attn(block.ln_1(x)).split(8, dim=2)[2]
            v = v.view(1, 7, 2, 4).transpose(1, 2)
            y = (tg.tensor(maps[layer][None]) @ v).transpose(1, 2).reshape(1, 7, 8)
            np.testing.assert_allclose(block.attn.c_proj(y).numpy(),
                                       block.attn(block.ln_1(x)).numpy(), rtol=1e-5, atol=1e-6)
            x = block(x)


def test_samples_drawn_in_chunks_are_one_generate_call():
    from tinygrad_sgd.data.text import CharTokenizer
    tg.manual_seed(5)
    model = GPT(GPTConfig(vocab_size=4, block_size=8, n_layer=1, n_head=1, n_embd=4))
    tok = CharTokenizer(list("\nabc"))
    texts = gpt.generate_samples(model, tok, 3, 40, generator=R.Generator().manual_seed(9))
    whole = model.generate(tg.tensor(np.zeros((3, 1), dtype=np.int64)), 40,
                           generator=R.Generator().manual_seed(9)).numpy()[:, 1:]
    assert texts == [tok.decode(row) for row in whole]
    names = gpt.generate_samples(model, tok, 3, 40, generator=R.Generator().manual_seed(9),
                                 words=True)
    assert names == [t.split("\n")[0] for t in texts]


def test_gpt_resume_continues_exactly(tmp_path):
    flags = ["--warmup", "0", "--lr", "5e-3", "--min-lr", "5e-3", "--eval-interval", "5",
             "--eval-iters", "1", "--num-samples", "0", "--block-size", "8"]
    half, _ = run_quietly(gpt, flags + ["--steps", "5", "--out", str(tmp_path / "a")])
    resumed, out = run_quietly(gpt, flags + ["--steps", "10", "--resume", "--out",
                                             str(tmp_path / "a")])
    straight, _ = run_quietly(gpt, flags + ["--steps", "10", "--out", str(tmp_path / "b")])
    assert "resuming" in out and "at step 5" in out
    assert half["step_losses"] + resumed["step_losses"] == straight["step_losses"]
    assert resumed["history"] == straight["history"]
    a, b = tg.load(resumed["checkpoint"]), tg.load(straight["checkpoint"])
    for key, value in b["model"].items():
        np.testing.assert_array_equal(a["model"][key].numpy(), value.numpy(), err_msg=key)


def test_sample_command_reads_the_checkpoint(gpt_run, tmp_path, capsys):
    ckpt = gpt_run[0]["checkpoint"]
    assert cli.main(["sample", "--checkpoint", ckpt, "--num", "4", "--out",
                     str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = (tmp_path / "samples.txt").read_text().splitlines()
    assert len(lines) == 4 and "4 samples from" in out and "trained 24 steps" in out
    again = sample.main(["--checkpoint", ckpt, "--num", "4", "--out", str(tmp_path), "--quiet"])
    assert again["samples"] == lines                                 # the same seed
    assert capsys.readouterr().out == ""
    with pytest.raises(SystemExit, match="can't read the checkpoint"):
        sample.main(["--checkpoint", str(tmp_path / "missing.pt")])


# ---------------------------------------------------------------------------- every lesson
@pytest.mark.parametrize("module", LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_help_teaches_and_lists_the_flags(module, capsys):
    with pytest.raises(SystemExit) as info:
        module.main(["--help"])
    assert info.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith("usage:") and all(f.name in usage for f in module.FLAGS)
    assert module.__doc__ and len(module.__doc__) > 500


@pytest.mark.parametrize("module", LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_lower_bounds_are_usage_errors(module, capsys):
    for flag in [f for f in module.FLAGS if f.at_least is not None]:
        with pytest.raises(SystemExit) as info:
            module.main([flag.name, str(flag.at_least - 1)])
        assert info.value.code == 2
        assert f"{flag.name} must be at least {flag.at_least}" in capsys.readouterr().err


def test_commands_are_registered_and_examples_run_them():
    for command, module in [("bigram", bigram), ("mlp", makemore_mlp), ("batchnorm", batchnorm),
                            ("backprop", backprop), ("gpt", gpt), ("sample", sample)]:
        assert cli.LESSONS[command][0] == module.__name__
        name = module.__name__.rsplit(".", 1)[1]
        assert f"from tinygrad_sgd.tutorials.{name} import main" in \
            (ROOT / "examples" / f"{name}.py").read_text()
    assert cli.ALIASES["makemore-mlp"] == "mlp"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "gpt.py"), "--help"],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0 and "--n-layer" in proc.stdout


def test_progress_bar_on_stderr_and_quiet_is_silent_there(tmp_path, capsys):
    backprop.main(["--steps", "3", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("backprop: 100%") and "3/3" in last and "loss=" in last
    assert "loss=" not in out
    backprop.main(["--steps", "3", "--out", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    assert err == "" and "max difference" in out


def test_missing_corpus_says_where_it_looked(tmp_path):
    with pytest.raises(SystemExit, match="no such file"):
        bigram.main(["--data", str(tmp_path / "nope.txt"), "--out", str(tmp_path)])
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TINYGRAD_SGD_DATA", raising=False)
        mp.setattr("tinygrad_sgd.data.text.CACHE_DIR", tmp_path)
        with pytest.raises(SystemExit, match="(?s)surnames.*not found.*TINYGRAD_SGD_DATA"):
            makemore_mlp.main(["--data", "surnames", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="multiple of --n-head"):
        gpt.main(["--n-embd", "10", "--n-head", "4", "--out", str(tmp_path)])


def test_one_hot_and_word_sampling_helpers():
    from tinygrad_sgd.tutorials._lm_common import one_hot, sample_words
    np.testing.assert_array_equal(one_hot(tg.tensor([2, 0]), 3).numpy(),
                                  TF.one_hot(torch.tensor([2, 0]), 3).float().numpy())
    table = np.full((3, 3), 1 / 3, dtype=np.float32)
    words = sample_words(lambda c: table[c[-1]], 1, {0: ".", 1: "a", 2: "b"}, 4,
                         R.Generator().manual_seed(5))
    assert len(words) == 4 and all(w.endswith(".") and set(w[:-1]) <= {"a", "b"} for w in words)
