"""Probe 34: everyday training-script idioms as notebooks, Kaggle kernels and course code write
them (not the official tutorials), each a small program run on real torch and on this library
(the module passed in as ``torch``) from the same seeds, logging what the script would print:
losses as f-strings, tensors through ``print``, accuracies, confusion matrices, learning rates,
checkpoints resumed, errors. Tabular regression and classification with ``random_split`` and a
seeded shuffling ``DataLoader``; class-weighted, label-smoothed cross entropy and ``pos_weight``;
``ReduceLROnPlateau`` on a validation loss with early stopping by ``copy.deepcopy`` of the state
dict; ``model.apply(init_weights)``; ``clip_grad_norm_``'s norm; gradient accumulation; top-k
accuracy; confusion matrices by ``bincount`` and ``index_put_``; a padded bidirectional GRU text
classifier; LSTM forecasting on ``unfold`` windows; triplet metric learning; conv autoencoders;
AdamW with a warmup ``LambdaLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts`` by fractional
epochs; an EMA of weights; ``AveragedModel`` + ``update_bn``; CPU autocast; a dict checkpoint
resumed; no-decay parameter groups; frozen layers; the three seeds.

The harness is probe 34's examples' one (printed lines compared as text, numbers within the
row's tolerance or one unit of their last printed digit). Programs whose printed text names
things (``torch.Size``, ``grad_fn=<MeanBackward0>``) run here as the ``tinygrad-sgd run``
runner runs a torch script (:func:`as_script`); one whole notebook script runs through the
runner itself, its printed lines against real torch's.

What the probe found apart, fixed: ``cross_entropy``/``nll_loss`` with a class index out of
range said only "target value 4 is out of range for 4 classes", not torch's "Target 4 is out
of bounds" (a script catching the IndexError and printing it); now torch's words come first.
(Not a difference: a Linear's bias before a batch norm has a gradient of 0 in exact arithmetic,
so Adam moves it by ±lr on the sign of rounding noise, torch's and ours apart — the notebook
script's first Linear has ``bias=False``, as is usual there.)
What is left: the strict xfail (XFAIL): CPU autocast in float16/bfloat16 (refused by design).
(Fixed since: ``save`` wrote a NumPy scalar as a plain number; now NumPy's pickle, as torch's,
tests/test_checkpoint_numpy_objects.py.) Not rows here, as they are catalogued elsewhere
(tests/robustness, probe 34's examples): the house's own words for a Linear's or matmul's shape
mismatch and for BCE's target shape (torch: "mat1 and mat2 shapes cannot be multiplied",
"Target size ... must be the same as input size"); ``Tensor.numpy()`` not refused for a tensor
requiring grad.
# house: long file - one short program per idiom, table-driven, as the other probe-34 files
"""
import contextlib
import copy
import io
import pickle
import random

import numpy as np
import pytest

from test_probe34_examples import _data, _rng, compare, in_float64
from test_probe34_recipes import F32, F64
from tinygrad_sgd.printing import OPTIONS

real_torch = pytest.importorskip("torch")


def _printed(torch, *values):
    """What ``print(*values)`` writes."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print(*values)
    return buf.getvalue().rstrip("\n")


def as_script(program):
    """``program`` on this library as ``tinygrad-sgd run`` runs a torch script: printed
    things named as torch names them (``torch.Size``, ``grad_fn=<MeanBackward0>``; imported
    as ``tinygrad_sgd``, they are ``tinygrad_sgd.Size`` and the op's ``DivByCountBackward``)."""
    def run_as_script(torch, log):
        if torch is real_torch:
            return program(torch, log)
        saved, OPTIONS.namespace = OPTIONS.namespace, "torch"
        try:
            program(torch, log)
        finally:
            OPTIONS.namespace = saved
    run_as_script.__name__ = program.__name__
    return run_as_script


def _tabular(torch, n=24, d=5, classes=3, seed=0):
    rng = _rng(seed)
    x = rng.standard_normal((n, d))
    y = (x[:, :classes] + 0.3 * rng.standard_normal((n, classes))).argmax(1)
    return _data(torch, x), torch.from_numpy(y.astype(np.int64))


def _mlp(torch, d=5, h=8, out=3):
    nn = torch.nn
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, out))


# ------------------------------------------------- tabular regression: random_split, DataLoader
def tabular_regression(torch, log):
    nn, data = torch.nn, torch.utils.data
    torch.manual_seed(0)
    rng = _rng(1)
    x = rng.standard_normal((20, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.standard_normal(20)
    ds = data.TensorDataset(_data(torch, x), _data(torch, y).unsqueeze(1))
    train_ds, val_ds = data.random_split(ds, [0.75, 0.25],
                                         generator=torch.Generator().manual_seed(42))
    log("split", [len(train_ds), len(val_ds), list(val_ds.indices)])
    loader = data.DataLoader(train_ds, batch_size=4, shuffle=True,
                             generator=torch.Generator().manual_seed(7))
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    crit = nn.MSELoss()
    lines = []
    for epoch in range(3):
        model.train()
        running = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = crit(model(xb), yb)
            loss.backward()
            opt.step()
            running += loss.item() * xb.size(0)
        model.eval()
        with torch.no_grad():
            xv, yv = val_ds[:]
            val = crit(model(xv), yv)
        lines.append(f"Epoch {epoch+1}/3 | train {running/len(train_ds):.4f} | val {val:.4f}")
    log("printed", lines)
    log("val pred", model(xv))
    log("first batch order", next(iter(loader))[1])


# -------------------------------------- classification: class weights, label smoothing, metrics
def weighted_classification(torch, log):
    nn = torch.nn
    torch.manual_seed(1)
    x, y = _tabular(torch)
    counts = torch.bincount(y, minlength=3)
    weights = 1.0 / counts.float()
    weights = weights / weights.sum() * 3
    log("class weights", weights)
    model = _mlp(torch)
    crit = nn.CrossEntropyLoss(weight=weights, label_smoothing=0.1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lines = []
    for step in range(4):
        opt.zero_grad()
        out = model(x)
        loss = crit(out, y)
        loss.backward()
        opt.step()
        acc = (out.argmax(1) == y).sum().item() / len(y)
        lines.append(f"step {step}: loss={loss.item():.4f} acc={acc:.2%}")
    log("printed", lines)
    with torch.no_grad():
        out = model(x)
        log("acc mean", (out.argmax(dim=1) == y).float().mean())
        log("acc item", (out.argmax(1) == y).sum().item())
        probs = torch.softmax(out, dim=1)
        conf, pred = probs.max(1)
        log("conf", conf)
        log("pred", pred)
    log("reduction none", nn.CrossEntropyLoss(weight=weights, reduction="none",
                                              label_smoothing=0.2)(out, y))
    log("ignore_index", nn.CrossEntropyLoss(weight=weights, ignore_index=1)(out, y))


def bce_pos_weight(torch, log):
    nn = torch.nn
    torch.manual_seed(2)
    rng = _rng(2)
    x = _data(torch, rng.standard_normal((16, 3)))
    y = _data(torch, (rng.random(16) < 0.25).astype(float))
    model = nn.Linear(3, 1)
    pos_weight = torch.tensor([(y == 0).sum().item() / (y == 1).sum().item()])
    log("pos_weight", pos_weight)
    crit = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        logits = model(x).squeeze(1)
        loss = crit(logits, y)
        loss.backward()
        opt.step()
    log("loss", loss)
    log("printed", f"loss {loss.item():.4f}")
    preds = (torch.sigmoid(logits) > 0.5).float()
    tp = ((preds == 1) & (y == 1)).sum().item()
    fp = ((preds == 1) & (y == 0)).sum().item()
    fn = ((preds == 0) & (y == 1)).sum().item()
    log("tp fp fn", [tp, fp, fn])
    log("precision", tp / max(tp + fp, 1))
    log("bce none", nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")(logits, y))
    log("multi-label", nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0]))(
        torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float()))
    log("grad", model.weight.grad)
    log("dtype of preds", preds.dtype)


# -------------------------------------------- ReduceLROnPlateau on val loss, early stopping
def plateau_early_stopping(torch, log):
    nn = torch.nn
    torch.manual_seed(3)
    x, y = _tabular(torch, n=16)
    xv, yv = _tabular(torch, n=8, seed=5)
    model = _mlp(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
    best, best_state, bad, patience = float("inf"), None, 0, 3
    lines = []
    for epoch in range(12):
        model.train()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            val = nn.functional.cross_entropy(model(xv), yv).item()
        sched.step(val)
        lines.append(f"{epoch} val={val:.4f} lr={opt.param_groups[0]['lr']:.4g} "
                     f"last={sched.get_last_lr()[0]}")
        if val < best - 1e-4:
            best, bad = val, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
            if bad >= patience:
                lines.append(f"Early stopping at epoch {epoch}")
                break
    log("printed", lines)
    model.load_state_dict(best_state)
    with torch.no_grad():
        log("restored val", nn.functional.cross_entropy(model(xv), yv))
    log("best", best)
    log("state keys", list(best_state))
    log("num_bad_epochs", sched.num_bad_epochs)
    log("sched state", {k: v for k, v in sched.state_dict().items()
                        if k in ("best", "num_bad_epochs", "last_epoch", "_last_lr")})


# ---------------------------------------------------------------- model.apply(init_weights)
def init_weights_apply(torch, log):
    nn = torch.nn
    torch.manual_seed(4)

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.constant_(m.bias, 0.01)
        elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(12, 5), nn.LayerNorm(5), nn.Linear(5, 2))
    emb = nn.Embedding(6, 4, padding_idx=0)
    ret = model.apply(init_weights)
    emb.apply(init_weights)
    log("apply returns model", ret is model)
    for name, p in list(model.named_parameters()) + list(emb.named_parameters()):
        log(name, p)
    nn.init.trunc_normal_(emb.weight, std=0.02, a=-0.04, b=0.04)
    log("trunc", emb.weight)
    w = torch.empty(3, 5)
    nn.init.orthogonal_(w)
    log("orthogonal", w)
    nn.init.kaiming_uniform_(w, a=5 ** 0.5)
    log("kaiming a=sqrt5", w)
    log("gain", [nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh")])
    log("out", model(torch.randn(2, 2, 4, 4)))


# ------------------------------------------------- clip_grad_norm_ returns the norm; accumulation
def clip_and_accumulate(torch, log):
    nn = torch.nn
    torch.manual_seed(5)
    x, y = _tabular(torch, n=16)
    model = _mlp(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    crit = nn.CrossEntropyLoss()
    accum = 4
    norms, lines = [], []
    opt.zero_grad()
    for i, (xb, yb) in enumerate(zip(x.split(2), y.split(2))):
        loss = crit(model(xb), yb) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            norms.append(norm)
            opt.step()
            opt.zero_grad(set_to_none=True)
            lines.append(f"update {(i + 1) // accum}: grad norm {norm:.4f} "
                         f"loss {loss.item() * accum:.4f}")
    log("norms", norms)
    log("printed", lines)
    log("grad is None", model[0].weight.grad is None)
    log("weights", model[2].weight)
    crit(model(x), y).backward()
    log("grad before clipping", model[0].weight.grad)
    log("inf norm", nn.utils.clip_grad_norm_(model.parameters(), 0.1, norm_type=float("inf")))
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
    log("clipped values", model[0].weight.grad)
    log("norm of clipped", torch.norm(torch.stack([p.grad.norm(2) for p in model.parameters()]), 2))


# -------------------------------------------------- top-k accuracy, confusion matrices
def topk_and_confusion(torch, log):
    torch.manual_seed(6)
    out = torch.randn(10, 4)
    y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    _, top = out.topk(2, dim=1)
    log("top2", top)
    log("top2 acc", (top == y.unsqueeze(1)).any(dim=1).float().mean().item())
    vals, idx = torch.topk(out, k=3, dim=1, largest=True, sorted=True)
    correct = idx.t().eq(y.view(1, -1).expand_as(idx.t()))
    log("topk correct", [correct[:k].reshape(-1).float().sum(0, keepdim=True).mul_(100.0 / 10)
                         for k in (1, 3)])
    pred = out.argmax(1)
    cm = torch.bincount(y * 4 + pred, minlength=16).reshape(4, 4)
    log("cm bincount", cm)
    cm2 = torch.zeros(4, 4, dtype=torch.long)
    cm2.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    log("cm index_put", cm2)
    cm3 = torch.zeros(4, 4)
    for t, p in zip(y.view(-1), pred.view(-1)):
        cm3[t.long(), p.long()] += 1
    log("cm loop", cm3)
    log("per-class recall", cm.diag().float() / cm.sum(1).clamp(min=1))
    log("printed cm", _printed(torch, cm))
    log("printed acc", f"acc {cm.diag().sum().item() / cm.sum().item():.3f}")
    log("weighted bincount", torch.bincount(y, weights=out[:, 0]))
    log("bincount dtype", [torch.bincount(y).dtype, torch.bincount(y, weights=out[:, 0]).dtype])


# ----------------------------------------------------- GRU text classifier with packing
def gru_text_classifier(torch, log):
    nn = torch.nn
    rnn_utils = nn.utils.rnn
    torch.manual_seed(7)

    class TextClassifier(nn.Module):
        def __init__(self, vocab, emb, hidden, classes):
            super().__init__()
            self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
            self.gru = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, classes)
            self.dropout = nn.Dropout(0.0)

        def forward(self, text, lengths):
            embedded = self.dropout(self.embedding(text))
            packed = rnn_utils.pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                                    enforce_sorted=False)
            packed_out, hidden = self.gru(packed)
            out, out_lens = rnn_utils.pad_packed_sequence(packed_out, batch_first=True)
            hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
            return self.fc(hidden), out, out_lens

    seqs = [torch.tensor([3, 5, 2, 7]), torch.tensor([4, 1]), torch.tensor([6, 6, 2])]
    lengths = torch.tensor([len(s) for s in seqs])
    text = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=0)
    log("padded", text)
    model = TextClassifier(8, 4, 3, 2)
    log("pad row", model.embedding.weight[0])
    labels = torch.tensor([1, 0, 1])
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        logits, out, out_lens = model(text, lengths)
        loss = nn.functional.cross_entropy(logits, labels)
        loss.backward()
        opt.step()
    log("logits", logits)
    log("padded out", out)
    log("out lens", out_lens)
    log("emb grad", model.embedding.weight.grad)
    log("gru grad", model.gru.weight_hh_l0_reverse.grad)
    log("printed", f"loss: {loss.item():.4f}")


# ------------------------------------------------------- LSTM forecasting on unfold windows
def lstm_forecasting(torch, log):
    nn = torch.nn
    torch.manual_seed(8)
    series = _data(torch, np.sin(np.arange(30) * 0.3) + 0.05 * _rng(8).standard_normal(30))
    window = 5
    windows = series.unfold(0, window + 1, 1)
    log("windows shape", list(windows.shape))
    x, y = windows[:, :window].unsqueeze(-1), windows[:, window:]
    mean, std = x.mean(), x.std()
    x = (x - mean) / std

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(input_size=1, hidden_size=6, num_layers=2, batch_first=True,
                                dropout=0.0)
            self.head = nn.Linear(6, 1)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.head(out[:, -1, :])

    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    lines = []
    for epoch in range(3):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        lines.append(f"Epoch [{epoch+1}/3], Loss: {loss.item():.6f}")
    log("printed", lines)
    # autoregressive forecast
    model.eval()
    seq = x[-1:].clone()
    preds = []
    with torch.no_grad():
        for _ in range(3):
            p = model(seq)
            preds.append(p.item())
            seq = torch.cat([seq[:, 1:, :], ((p - mean) / std).unsqueeze(-1)], dim=1)
    log("forecast", preds)
    log("lstm grad", model.lstm.weight_ih_l1.grad)
    log("unfold 2d", torch.arange(12.).view(3, 4).unfold(1, 2, 2))


# --------------------------------------------------- triplet metric learning, cdist, cosine
def metric_learning(torch, log):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(9)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    a, p, n = torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4)
    crit = nn.TripletMarginLoss(margin=1.0, p=2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        loss = crit(net(a), net(p), net(n))
        loss.backward()
        opt.step()
    log("triplet", loss)
    with torch.no_grad():
        emb = F.normalize(net(a), p=2, dim=1)
        d = torch.cdist(emb, emb)
        log("cdist", d)
        log("cosine", F.cosine_similarity(emb.unsqueeze(1), emb.unsqueeze(0), dim=-1))
        log("nearest", (d + torch.eye(5) * 1e9).argmin(1))
        log("cdist p1", torch.cdist(net(a), net(n), p=1))
    log("swap", nn.TripletMarginLoss(margin=0.5, swap=True, reduction="none")(
        net(a), net(p), net(n)))
    log("with distance", nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y), margin=0.3)(a, p, n))
    log("cosine embedding", nn.CosineEmbeddingLoss(margin=0.1)(a, p, torch.tensor(
        [1, -1, 1, -1, 1])))
    log("pairwise", F.pairwise_distance(a, p))
    log("grad", net[0].weight.grad)


# ----------------------------------------------------- autoencoders: Upsample, ConvTranspose2d
def conv_autoencoder(torch, log):
    nn = torch.nn
    torch.manual_seed(10)

    class AE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                                         nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU())
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(4, 1, 3, padding=1),
                nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    model = AE()
    x = torch.rand(2, 1, 8, 8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    for _ in range(2):
        opt.zero_grad()
        recon = model(x)
        loss = nn.functional.mse_loss(recon, x)
        loss.backward()
        opt.step()
    log("recon", recon)
    log("printed", f"Epoch:1, Loss:{loss.item():.4f}")
    log("code shape", list(model.encoder(x).shape))
    corner = x[:1, :, :2, :2]
    log("bilinear", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)(corner))
    log("bilinear ac", nn.Upsample(size=(3, 3), mode="bilinear", align_corners=True)(corner))
    log("ct grad", model.decoder[0].weight.grad)
    log("bce", nn.functional.binary_cross_entropy(recon, x))


# ----------------------------------------------- AdamW + linear warmup schedule by LambdaLR
def adamw_warmup(torch, log):
    nn = torch.nn
    torch.manual_seed(11)
    x, y = _tabular(torch, n=12)
    model = nn.Sequential(nn.Linear(5, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))
    no_decay = ["bias", "LayerNorm.weight", "1.weight"]
    groups = [
        {"params": [p for n, p in model.named_parameters()
                    if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters()
                    if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
    ]
    log("group sizes", [len(g["params"]) for g in groups])
    opt = torch.optim.AdamW(groups, lr=5e-3, eps=1e-8)
    warmup, total = 2, 6

    def lr_lambda(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    lrs = []
    for step in range(total):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    log("lrs", lrs)
    log("weights", model[3].weight)
    log("ln weight", model[1].weight)
    log("printed", f"step {step} lr {sched.get_last_lr()[0]:.2e} loss {loss:.4f}")
    log("opt state keys", list(opt.state_dict()["state"][0]))
    log("param_groups", [{k: v for k, v in g.items() if k != "params"}
                         for g in opt.state_dict()["param_groups"]])


# ------------------------------------------------------------------------- OneCycleLR per batch
def one_cycle(torch, log):
    nn = torch.nn
    torch.manual_seed(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, steps_per_epoch=3, epochs=2)
    lrs, moms = [], []
    x, y = torch.randn(6, 3), torch.randn(6, 1)
    for epoch in range(2):
        for xb, yb in zip(x.split(2), y.split(2)):
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            moms.append(opt.param_groups[0]["momentum"])
    log("lrs", lrs)
    log("momentum", moms)
    log("weight", model.weight)
    opt2 = torch.optim.Adam(model.parameters(), lr=0.01)
    s2 = torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=[0.05], total_steps=5,
                                             pct_start=0.4, anneal_strategy="linear",
                                             div_factor=10, final_div_factor=100,
                                             three_phase=True)
    seen = []
    for _ in range(5):
        opt2.step()
        s2.step()
        seen.append((opt2.param_groups[0]["lr"], opt2.param_groups[0]["betas"][0]))
    log("adam cycle", [list(s) for s in seen])
    try:
        s2.step()
    except ValueError as e:
        log("past end", e)


# ----------------------------------------------- CosineAnnealingWarmRestarts, fractional epochs
def cosine_restarts(torch, log):
    torch.manual_seed(13)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2,
                                                                 eta_min=1e-3)
    iters = 3
    lrs = []
    for epoch in range(4):
        for i in range(iters):
            opt.step()
            sched.step(epoch + i / iters)
            lrs.append(sched.get_last_lr()[0])
    log("lrs", lrs)
    log("T_cur T_i", [sched.T_cur, sched.T_i])
    sched.step()
    log("after plain step", [sched.get_last_lr()[0], sched.T_cur, sched.last_epoch])
    log("printed", f"lr={opt.param_groups[0]['lr']:.6f}")
    s2 = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    log("cosine", [s2.get_last_lr()[0]] + [(opt.step(), s2.step(), s2.get_last_lr()[0])[2]
                                           for _ in range(5)])


# ------------------------------------------------------------------------- EMA of the weights
def ema_weights(torch, log):
    nn = torch.nn
    torch.manual_seed(14)
    model = _mlp(torch)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    ema2 = copy.deepcopy(model)
    x, y = _tabular(torch, n=12)
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    decay = 0.9
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        with torch.no_grad():
            for e, m in zip(ema.parameters(), model.parameters()):
                e.mul_(decay).add_(m.detach(), alpha=1 - decay)
            for e, m in zip(ema2.state_dict().values(), model.state_dict().values()):
                if e.dtype.is_floating_point:
                    e.lerp_(m, 1 - decay)
    log("ema", list(ema.parameters()))
    log("ema lerp", list(ema2.parameters()))
    log("ema requires_grad", [p.requires_grad for p in ema.parameters()])
    with torch.no_grad():
        log("ema out", ema(x))
    t = torch.zeros(3)
    log("lerp tensor weight", t.lerp(torch.ones(3), torch.tensor([0.1, 0.5, 0.9])))
    log("torch.lerp", torch.lerp(torch.zeros(2), torch.full((2,), 10.0), 0.25))
    avg = torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    for _ in range(2):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1)
        avg.update_parameters(model)
    log("get_ema_multi_avg_fn", list(avg.module.parameters()))
    log("n_averaged", avg.n_averaged)


# ------------------------------------------------------------ SWA: AveragedModel + update_bn
def swa_update_bn(torch, log):
    nn, data = torch.nn, torch.utils.data
    swa_utils = torch.optim.swa_utils
    torch.manual_seed(15)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    swa_model = swa_utils.AveragedModel(model)
    x = torch.randn(12, 4)
    y = torch.randint(0, 2, (12,))
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    swa_sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy="cos")
    lrs = []
    for epoch in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        if epoch >= 1:
            swa_model.update_parameters(model)
            swa_sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    log("lrs", lrs)
    log("n_averaged", swa_model.n_averaged)
    log("swa weight", swa_model.module[0].weight)
    swa_utils.update_bn(loader, swa_model)
    log("running_mean", swa_model.module[1].running_mean)
    log("running_var", swa_model.module[1].running_var)
    log("num_batches_tracked", swa_model.module[1].num_batches_tracked)
    swa_model.eval()
    with torch.no_grad():
        log("swa out", swa_model(x))
    log("state keys", list(swa_model.state_dict()))


# ---------------------------------- autocast as a CPU-only script meets it, and a disabled scaler
def cpu_autocast(torch, log):
    nn = torch.nn
    torch.manual_seed(16)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    use_amp = False                                     # the notebook's switch, off on a CPU
    scaler = torch.amp.GradScaler("cpu", enabled=use_amp)
    for _ in range(2):
        opt.zero_grad()
        with torch.autocast(device_type="cpu", enabled=use_amp):
            out = model(x)
            loss = nn.functional.cross_entropy(out, y)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
    log("out dtype", [out.dtype, loss.dtype])
    log("norm", norm)
    log("weights", model[2].weight)
    log("scale", scaler.get_scale())
    log("enabled", [scaler.is_enabled(), torch.is_autocast_enabled()])
    with torch.autocast("cuda"):                        # no CUDA: torch warns and disables it
        log("cuda autocast on a CPU", [model(x).dtype, torch.is_autocast_enabled()])
    with torch.autocast("cpu", dtype=torch.float32):    # not a low dtype: warns, disabled
        log("float32 autocast", model(x).dtype)
    with torch.cuda.amp.autocast(enabled=False):
        log("cuda.amp disabled", torch.mm(x, x.t()).dtype)


def cpu_autocast_half(torch, log):
    nn = torch.nn
    torch.manual_seed(17)
    lin = nn.Linear(4, 3)
    x = torch.randn(5, 4)
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        out = lin(x)
        log("dtype", out.dtype)
        log("relu dtype", torch.relu(out).dtype)
        log("softmax dtype", torch.softmax(out, 1).dtype)
    log("out", out.float())


# ------------------------------------------------------- checkpoint dict: save, load, resume
def checkpoint_resume(torch, log):
    nn = torch.nn
    torch.manual_seed(18)
    x, y = _tabular(torch, n=12)

    def make():
        model = _mlp(torch)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return model, opt, sched

    def train(model, opt, sched, epochs):
        for _ in range(epochs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
        return loss

    model, opt, sched = make()
    init = copy.deepcopy(model.state_dict())
    train(model, opt, sched, 3)
    buf = io.BytesIO()
    torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": opt.state_dict(),
                "scheduler_state_dict": sched.state_dict(), "loss": 0.5,
                "history": [1.0, 0.8]}, buf)
    straight = train(model, opt, sched, 3)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)
    log("ckpt keys", list(ckpt))
    log("epoch", ckpt["epoch"])
    model2, opt2, sched2 = make()
    model2.load_state_dict(init)
    model2.load_state_dict(ckpt["model_state_dict"])
    opt2.load_state_dict(ckpt["optimizer_state_dict"])
    sched2.load_state_dict(ckpt["scheduler_state_dict"])
    log("resumed lr", opt2.param_groups[0]["lr"])
    resumed = train(model2, opt2, sched2, 3)
    log("straight vs resumed", [straight, resumed])
    log("weights", [model[2].weight, model2[2].weight])
    log("step", opt2.state_dict()["state"][0]["step"])
    log("sched", sched2.state_dict())
    log("printed", f"=> loaded checkpoint (epoch {ckpt['epoch']})")


# ---------------------------------------------------------------- freezing layers, fine-tuning
def freeze_layers(torch, log):
    nn = torch.nn
    torch.manual_seed(19)
    backbone = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU())
    model = nn.Sequential(backbone, nn.Linear(8, 3))
    backbone.requires_grad_(False)
    for p in model[1].parameters():
        p.requires_grad = True
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log("printed", f"Trainable params: {trainable:,} / {total:,}")
    opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
    x, y = _tabular(torch, n=8)
    before = copy.deepcopy(backbone.state_dict())
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    log("frozen grad", backbone[0].weight.grad is None)
    log("frozen same", [torch.equal(before[k], v) for k, v in backbone.state_dict().items()])
    log("head", model[1].weight)
    log("names", [n for n, p in model.named_parameters() if p.requires_grad])
    # unfreeze, add a group
    backbone[0].requires_grad_()
    opt.add_param_group({"params": backbone[0].parameters(), "lr": 0.01})
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    log("unfrozen", backbone[0].weight)
    log("groups lr", [g["lr"] for g in opt.param_groups])
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.train()
    log("training flags", [m.training for m in model.modules()])


# --------------------------------------------------------------------------- seeding everything
def seed_everything(torch, log):
    def seed_all(seed):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        if hasattr(torch, "cuda"):
            torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False

    seed_all(42)
    a = [torch.rand(3), torch.randn(2, 2), torch.randint(0, 10, (4,)), torch.randperm(5),
         random.random(), float(np.random.rand())]
    seed_all(42)
    b = [torch.rand(3), torch.randn(2, 2), torch.randint(0, 10, (4,)), torch.randperm(5),
         random.random(), float(np.random.rand())]
    log("first", a)
    log("same", [torch.equal(u, v) if hasattr(u, "shape") else u == v for u, v in zip(a, b)])
    torch.use_deterministic_algorithms(True)
    log("deterministic", torch.are_deterministic_algorithms_enabled())
    torch.use_deterministic_algorithms(False)
    g = torch.Generator()
    g.manual_seed(3)
    log("generator", [torch.randn(2, generator=g), torch.rand(2, generator=g)])
    log("initial_seed", [g.initial_seed(), torch.initial_seed()])
    state = torch.get_rng_state()
    x1 = torch.randn(3)
    torch.set_rng_state(state)
    log("rng state", torch.equal(x1, torch.randn(3)))
    loader = torch.utils.data.DataLoader(list(range(8)), batch_size=3, shuffle=True,
                                         generator=torch.Generator().manual_seed(0),
                                         worker_init_fn=None, drop_last=True)
    log("shuffled", [b.tolist() for b in loader])
    log("seed", torch.seed() > 0)


# ------------------------------------------------------------------ printing tensors, f-strings
def printing(torch, log):
    torch.manual_seed(20)
    x = torch.randn(2, 3)
    loss = x.pow(2).mean()
    log("printed", [_printed(torch, x), _printed(torch, loss), _printed(torch, "loss:", loss),
                    _printed(torch, x.argmax(1)), _printed(torch, x.shape),
                    _printed(torch, torch.tensor([True, False])),
                    _printed(torch, x.double()), _printed(torch, x.requires_grad_()),
                    _printed(torch, x.sum()), _printed(torch, x.dtype),
                    _printed(torch, torch.tensor(3)), _printed(torch, torch.tensor([1e-5, 1e5])),
                    _printed(torch, torch.zeros(0)), _printed(torch, torch.arange(5).float())])
    log("fstrings", [f"{loss.item():.4f}", f"{loss:.4f}", f"{x.sum().item():+.3e}",
                     f"{torch.tensor(7).item():03d}", f"{list(x.shape)}",
                     f"{x.shape}",
                     f"{x.size(0)} rows", f"{x.numel()}"])
    log("item type", type(x.sum().item()).__name__)
    log("tolist", x.detach().tolist())
    log("repr float", repr(torch.tensor(0.1)))
    try:
        f"{x:.4f}"
    except TypeError as e:
        log("format of a matrix", e)


# -------------------------------- imbalanced data: a custom Dataset, WeightedRandomSampler, collate
def weighted_sampler(torch, log):
    data = torch.utils.data

    class TabularDataset(data.Dataset):
        def __init__(self, x, y):
            self.x = torch.tensor(x, dtype=torch.float32)
            self.y = torch.tensor(y, dtype=torch.long)

        def __len__(self):
            return len(self.y)

        def __getitem__(self, idx):
            return {"features": self.x[idx], "label": self.y[idx]}

    rng = _rng(21)
    x, y = rng.standard_normal((10, 3)), np.array([0] * 8 + [1] * 2)
    ds = TabularDataset(x, y)
    class_counts = np.bincount(y)
    sample_weights = 1.0 / class_counts[y]
    sampler = data.WeightedRandomSampler(torch.from_numpy(sample_weights), num_samples=len(ds),
                                         replacement=True,
                                         generator=torch.Generator().manual_seed(1))
    loader = data.DataLoader(ds, batch_size=4, sampler=sampler)
    batches = list(loader)
    log("len loader", len(loader))
    log("labels", [b["label"] for b in batches])
    log("features", batches[0]["features"])
    log("sampled indices", list(sampler))

    def collate(batch):
        xs = torch.stack([b["features"] for b in batch])
        return xs, torch.tensor([b["label"] for b in batch])

    xb, yb = next(iter(data.DataLoader(ds, batch_size=3, collate_fn=collate, drop_last=True)))
    log("collate", [xb, yb])
    log("subset", [len(data.Subset(ds, [1, 2, 3])), data.Subset(ds, [4])[0]["label"]])
    log("concat", len(data.ConcatDataset([ds, ds])))
    perm = torch.randperm(len(ds), generator=torch.Generator().manual_seed(5))
    sub = data.SubsetRandomSampler(perm[:4].tolist(), generator=torch.Generator().manual_seed(2))
    log("subset random", list(sub))


# ------------------------------------------ preprocessing: from_numpy, standardising, a split
def tabular_preprocessing(torch, log):
    rng = _rng(22)
    raw = rng.standard_normal((12, 3)) * np.array([1.0, 10.0, 100.0]) + 5.0
    X = torch.from_numpy(raw).float()
    log("dtype", [torch.from_numpy(raw).dtype, X.dtype, torch.tensor(raw).dtype,
                  torch.as_tensor(raw, dtype=torch.float32).dtype])
    torch.manual_seed(23)
    idx = torch.randperm(len(X))
    train_idx, test_idx = idx[:9], idx[9:]
    mean, std = X[train_idx].mean(0, keepdim=True), X[train_idx].std(0, keepdim=True)
    Xn = (X - mean) / (std + 1e-8)
    log("mean std", [mean, std, X[train_idx].std(0, unbiased=False)])
    log("normalised", Xn[test_idx])
    y = torch.tensor(raw[:, 0] > 5.0).float().view(-1, 1)
    log("y", y)
    mn, mx = X.min(0).values, X.max(dim=0)[0]
    log("minmax", (X - mn) / (mx - mn))
    log("one_hot", torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), num_classes=4))
    log("clamp where", [X.clamp(min=0.0, max=10.0)[:2],
                        torch.where(X > 5, X, torch.zeros_like(X))[:2]])
    log("nan handling", torch.nan_to_num(torch.tensor([float("nan"), 1.0, float("inf")]),
                                         nan=0.0, posinf=1e3))
    log("isnan any", torch.isnan(torch.tensor([1.0, float("nan")])).any().item())
    log("numpy back", Xn.numpy()[:1].tolist())
    log("quantile", torch.quantile(X[:, 0], torch.tensor([0.25, 0.5, 0.75])))


# -------------------------------- print(model), parameter counts, replacing a head, strict=False
def model_summary(torch, log):
    nn = torch.nn
    torch.manual_seed(24)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
                                          nn.ReLU(inplace=True), nn.MaxPool2d(2),
                                          nn.Dropout(p=0.25))
            self.fc = nn.Linear(4 * 2 * 2, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.features(x), 1))

    model = Net()
    log("printed", [_printed(torch, model)])
    log("counts", [sum(p.numel() for p in model.parameters()),
                   sum(p.numel() for p in model.parameters() if p.requires_grad)])
    for name, p in model.named_parameters():
        log(f"shape {name}", list(p.shape))
    sd = model.state_dict()
    model.fc = nn.Linear(16, 3)
    result = model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("fc.")},
                                   strict=False)
    log("missing", result.missing_keys)
    log("unexpected", result.unexpected_keys)
    try:
        model.load_state_dict(sd)
    except RuntimeError as e:
        log("size mismatch", e)
    log("out", model.eval()(torch.randn(2, 1, 4, 4)))
    log("children", [type(m).__name__ for m in model.children()])
    log("buffers", [n for n, _ in model.named_buffers()])
    for layer in model.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    log("reset fc", model.fc.weight)


# ------------------------------------------------- scheduler misuse warnings, MultiStepLR, finder
def scheduler_idioms(torch, log):
    torch.manual_seed(25)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 3], gamma=0.1)
    sched.step()                                   # before optimizer.step(): torch warns
    lrs = [sched.get_last_lr()[0]]
    for _ in range(3):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    log("multistep", lrs)
    exp = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    opt.step()
    exp.step()
    log("exp", opt.param_groups[0]["lr"])
    seq = torch.optim.lr_scheduler.SequentialLR(
        opt, [torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=2),
              torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)], milestones=[2])
    seen = []
    for _ in range(5):
        opt.step()
        seq.step()
        seen.append(seq.get_last_lr()[0])
    log("sequential", seen)


# ---------------------------------------- a learning-rate finder's loop (float32 losses logged)
def lr_finder(torch, log):
    torch.manual_seed(25)
    model = torch.nn.Linear(2, 1)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    finder = torch.optim.SGD(model.parameters(), lr=1e-4)
    lrs, losses = [], []
    lr = 1e-4
    for _ in range(5):
        for g in finder.param_groups:
            g["lr"] = lr
        finder.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        finder.step()
        lrs.append(lr)
        losses.append(loss.item())
        lr *= 10
    log("finder", [lrs, losses])


# ----------------------------------------------------- focal loss, mixup, multi-label metrics
def focal_and_mixup(torch, log):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(26)
    np.random.seed(26)

    class FocalLoss(nn.Module):
        def __init__(self, alpha=0.25, gamma=2.0):
            super().__init__()
            self.alpha, self.gamma = alpha, gamma

        def forward(self, logits, targets):
            bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
            pt = torch.exp(-bce)
            return (self.alpha * (1 - pt) ** self.gamma * bce).mean()

    model = nn.Linear(4, 3)
    x = torch.randn(6, 4)
    y = torch.randint(0, 2, (6, 3)).float()
    crit = FocalLoss()
    loss = crit(model(x), y)
    loss.backward()
    log("focal", loss)
    log("focal grad", model.weight.grad)
    lam = float(np.random.beta(0.4, 0.4))
    index = torch.randperm(x.size(0))
    mixed = lam * x + (1 - lam) * x[index, :]
    yc = torch.randint(0, 3, (6,))
    out = model(mixed)
    mix = lam * F.cross_entropy(out, yc) + (1 - lam) * F.cross_entropy(out, yc[index])
    log("mixup", [lam, index, mix])
    probs = torch.sigmoid(model(x))
    preds = (probs > 0.5).int()
    tp = (preds * y).sum(0)
    f1 = 2 * tp / (preds.sum(0) + y.sum(0)).clamp(min=1)
    log("f1", f1)
    log("preds dtype", [preds.dtype, tp.dtype, f1.dtype])
    log("multilabel soft margin", nn.MultiLabelSoftMarginLoss()(model(x), y))
    log("exact match", (preds == y).all(1).float().mean())


# ------------------------------------------------ dropout masks replayed, train/eval switching
def dropout_train_eval(torch, log):
    nn = torch.nn
    torch.manual_seed(27)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 2))
    x = torch.randn(3, 4)
    model.train()
    a = model(x)
    model.eval()
    b = model(x)
    with torch.inference_mode():
        c = model(x)
    log("train", a)
    log("eval", b)
    log("inference", [c.requires_grad, torch.equal(b, c)])
    log("dropout2d", nn.Dropout2d(0.5)(torch.ones(1, 4, 2, 2)))
    log("functional", nn.functional.dropout(torch.ones(6), p=0.3, training=True))
    log("alpha", nn.AlphaDropout(0.2)(torch.ones(5)))
    log("is_training", [model.training, model[2].training])


# --------------------------------- EmbeddingBag / masked mean pooling of padded token ids
def bag_of_embeddings(torch, log):
    nn = torch.nn
    torch.manual_seed(28)
    emb = nn.Embedding(10, 4, padding_idx=0)
    tokens = torch.tensor([[2, 5, 0, 0], [7, 1, 3, 0]])
    mask = (tokens != 0).float()
    e = emb(tokens)
    pooled = (e * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    pooled.sum().backward()
    log("pooled", pooled)
    log("grad", emb.weight.grad)
    bag = nn.EmbeddingBag(10, 4, mode="mean")
    flat = torch.tensor([2, 5, 7, 1, 3])
    offsets = torch.tensor([0, 2])
    log("bag", bag(flat, offsets))
    log("bag max", nn.EmbeddingBag(10, 3, mode="max")(tokens))
    pre = nn.Embedding.from_pretrained(torch.arange(12.).view(4, 3), freeze=True,
                                       padding_idx=0)
    log("pretrained", [pre(torch.tensor([0, 3])), pre.weight.requires_grad])


# ------------------------- the classic phases loop: set_grad_enabled, torch.max(.data), .double()
def phases_loop(torch, log):
    nn, data = torch.nn, torch.utils.data
    torch.manual_seed(29)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y = _tabular(torch, n=12)
    ds = data.TensorDataset(x, y)
    sets = dict(zip(["train", "val"], data.random_split(ds, [8, 4])))   # the global generator
    loaders = {k: data.DataLoader(v, batch_size=3, shuffle=(k == "train"))
               for k, v in sets.items()}
    sizes = {k: len(v) for k, v in sets.items()}
    model = _mlp(torch).to(device)
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                          weight_decay=1e-4)
    lines = []
    for epoch in range(2):
        for phase in ["train", "val"]:
            model.train() if phase == "train" else model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in loaders[phase]:
                inputs, labels = inputs.to(device, non_blocking=True), labels.to(device)
                opt.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs.data, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        opt.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            epoch_acc = running_corrects.double() / sizes[phase]
            lines.append(f"{phase} Loss: {running_loss / sizes[phase]:.4f} Acc: {epoch_acc:.4f}")
    log("printed", lines)
    log("acc", [epoch_acc, running_corrects])
    log("split indices", [list(sets["val"].indices)])
    log("weights", model[0].weight)

    @torch.no_grad()
    def evaluate(model, loader):
        correct, total = 0, 0
        for xb, yb in loader:
            predicted = model(xb).argmax(dim=1)
            total += yb.size(0)
            correct += (predicted == yb).sum().item()
        return 100 * correct / total, torch.is_grad_enabled()
    log("evaluate", list(evaluate(model, loaders["val"])))
    log("printed", f"Accuracy of the network: {evaluate(model, loaders['train'])[0]:.1f} %")


# ---------------------------------- sequence tagging: CE over (N, C, T), ignore_index, soft labels
def sequence_losses(torch, log):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(30)
    logits = torch.randn(2, 5, 4, requires_grad=True)        # (batch, time, classes)
    tags = torch.tensor([[1, 2, 3, -100, -100], [0, 0, 2, 1, -100]])
    loss = F.cross_entropy(logits.view(-1, 4), tags.view(-1), ignore_index=-100)
    loss2 = nn.CrossEntropyLoss(label_smoothing=0.1)(logits.permute(0, 2, 1), tags)
    (loss + loss2).backward()
    log("losses", [loss, loss2])
    log("grad", logits.grad)
    soft = torch.softmax(torch.randn(3, 4), 1)
    out = torch.randn(3, 4, requires_grad=True)
    log("soft targets", [F.cross_entropy(out, soft), F.cross_entropy(out, soft,
                                                                   label_smoothing=0.2)])
    log("soft weighted", F.cross_entropy(out, soft, weight=torch.tensor([1., 2., 3., 4.])))
    log("nll", F.nll_loss(F.log_softmax(out, dim=1), torch.tensor([0, 3, 1]),
                          weight=torch.tensor([1., 2., 3., 4.]), reduction="sum"))
    log("huber", [nn.HuberLoss(delta=0.5)(out, soft), nn.SmoothL1Loss(beta=0.5)(out, soft),
                  nn.L1Loss()(out, soft)])
    log("kl", F.kl_div(F.log_softmax(out, 1), soft, reduction="batchmean"))
    mask = tags != -100
    acc = ((logits.argmax(-1) == tags) & mask).sum().float() / mask.sum()
    log("masked acc", acc)
    try:
        F.cross_entropy(out, torch.tensor([0, 4, 1]))
    except IndexError as e:
        log("target out of range", e)


# ----------------------------------------- print options, summarised tensors, running sums
def print_options(torch, log):
    torch.manual_seed(31)
    big = torch.randn(30, 30)
    rows = [_printed(torch, big), _printed(torch, torch.arange(1200)),
            _printed(torch, torch.tensor([1e-8, 1.0, 1e8])),
            _printed(torch, torch.tensor([[1, 2], [300, 4]])),
            _printed(torch, torch.tensor([0.5, 2.0])), _printed(torch, torch.tensor([1.0, 2.0]))]
    torch.set_printoptions(precision=2, sci_mode=False)
    try:
        rows += [_printed(torch, big[:2, :3]), _printed(torch, torch.tensor([1e-8, 1e8]))]
    finally:
        torch.set_printoptions(profile="default")
    rows.append(_printed(torch, big[:2, :3]))
    log("printed", rows)
    losses = []
    running = 0
    for i in range(3):
        loss = torch.randn(4, requires_grad=True).pow(2).mean()
        running += loss
        losses.append(loss.item())
    log("running", [running, running / 3, float(np.mean(losses))])
    log("stacked", torch.stack([torch.tensor(v) for v in losses]).mean())
    log("tensor of scalars", torch.tensor([torch.tensor(1.5), torch.tensor(2.5)]))
    try:
        big[0].item()
    except RuntimeError as e:                         # (ours a ShapeError, a RuntimeError)
        log("item of a vector", RuntimeError(str(e)))


# ---------------------------------------- checkpoints: map_location, load results, a NumPy scalar
def checkpoint_files(torch, log):
    nn = torch.nn
    torch.manual_seed(32)
    model = nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "best_acc": torch.tensor(0.75), "epoch": 4,
                "lr": 0.01, "names": ["a", "b"], "val_acc": float(np.float64(0.5))}, buf)
    buf.seek(0)
    ck = torch.load(buf, map_location="cpu")
    log("loaded", [ck["best_acc"], ck["epoch"], ck["lr"], ck["names"], ck["val_acc"]])
    buf2 = io.BytesIO()
    torch.save(model.state_dict(), buf2)
    buf2.seek(0)
    sd = torch.load(buf2, map_location=torch.device("cpu"))
    log("state", list(sd.items()))
    model2 = nn.Linear(3, 2)
    log("load result", str(model2.load_state_dict(sd)))
    log("same", torch.equal(model2.weight, model.weight))


def checkpoint_numpy_scalar(torch, log):
    buf = io.BytesIO()
    torch.save({"epoch": 4, "val_acc": np.float64(0.5)}, buf)   # (sklearn's or np.mean's)
    buf.seek(0)
    try:
        torch.load(buf)
        log("weights_only refuses", "nothing")
    except pickle.UnpicklingError as e:   # (torch's class, in both)
        log("weights_only refuses", str(e).split("WeightsUnpickler error: ")[-1])
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    log("np type", type(back["val_acc"]).__name__, back["val_acc"], type(back["epoch"]).__name__)

# ------------------------------- ReduceLROnPlateau on an accuracy: mode max, cooldown, min_lr
def plateau_variants(torch, log):
    torch.manual_seed(33)
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0,
                                                       threshold=0.01, threshold_mode="abs",
                                                       cooldown=1, min_lr=1e-3, eps=1e-8)
    accs = [0.5, 0.6, 0.605, 0.6, 0.59, 0.7, 0.7, 0.7, 0.7]
    seen = []
    for acc in accs:
        opt.step()
        sched.step(acc)
        seen.append([opt.param_groups[0]["lr"], sched.num_bad_epochs, sched.cooldown_counter])
    log("lr bad cooldown", seen)
    sd = sched.state_dict()
    log("state", {k: sd[k] for k in ("best", "mode", "threshold_mode", "min_lrs", "last_epoch")})
    s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    s2.load_state_dict(sd)
    log("loaded", [s2.best, s2.patience, s2.mode])
    s3 = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", threshold=0.1)
    for v in [torch.tensor(1.0), torch.tensor(0.95), 0.95, 0.95, 0.95, 0.95, 0.95, 0.95,
              0.95, 0.95, 0.95, 0.95]:
        s3.step(v)
    log("tensor metric", [s3.best, opt.param_groups[0]["lr"], s3.num_bad_epochs])
    try:
        torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    except ValueError as e:
        log("factor 1", e)


# ------------------------- LSTM details: explicit h0, bidirectional outputs, packing errors
def rnn_details(torch, log):
    nn = torch.nn
    rnn_utils = nn.utils.rnn
    torch.manual_seed(34)
    lstm = nn.LSTM(3, 4, num_layers=1, batch_first=True, bidirectional=True)
    x = torch.randn(2, 5, 3)
    h0 = torch.zeros(2, 2, 4)
    c0 = torch.zeros(2, 2, 4)
    out, (hn, cn) = lstm(x, (h0, c0))
    log("out", out)
    log("last fwd == hn[0]", torch.allclose(out[:, -1, :4], hn[0]))
    log("first bwd == hn[1]", torch.allclose(out[:, 0, 4:], hn[1]))
    packed = rnn_utils.pack_sequence([torch.randn(3, 3), torch.randn(2, 3)])
    log("packed", [packed.data, packed.batch_sizes])
    pout, (ph, pc) = lstm(packed)
    padded, lens = rnn_utils.pad_packed_sequence(pout, batch_first=True, total_length=4)
    log("padded", [padded, lens, ph])
    try:
        rnn_utils.pack_padded_sequence(x, torch.tensor([2, 5]), batch_first=True)
    except RuntimeError as e:
        log("unsorted", e)
    gru = nn.GRU(3, 4, num_layers=2, batch_first=True, dropout=0.0)
    o, h = gru(x)
    o.sum().backward()
    log("gru", [o[:, -1], h])
    log("gru grad", gru.weight_ih_l1.grad)
    conv = nn.Sequential(nn.Conv1d(3, 4, kernel_size=3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool1d(1))
    log("conv1d series", conv(x.permute(0, 2, 1)).squeeze(-1))
    cell = nn.LSTMCell(3, 4)
    hx, cx = torch.zeros(2, 4), torch.zeros(2, 4)
    for t in range(x.size(1)):
        hx, cx = cell(x[:, t], (hx, cx))
    log("cell loop", hx)


# ------------------------------------------------------------- the usual optimizers, a few steps
def optimizer_zoo(torch, log):
    nn = torch.nn
    x, y = _tabular(torch, n=10)
    results = {}
    for name, make in [
            ("AdamW amsgrad", lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True)),
            ("Adam wd", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=1e-2)),
            ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True)),
            ("Adagrad", lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01)),
            ("NAdam", lambda p: torch.optim.NAdam(p, lr=0.01)),
            ("RAdam", lambda p: torch.optim.RAdam(p, lr=0.01, decoupled_weight_decay=True,
                                                  weight_decay=0.1)),
            ("SGD nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                       dampening=0.0, weight_decay=5e-4))]:
        torch.manual_seed(35)
        model = _mlp(torch)
        opt = make(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        results[name] = [loss, model[2].weight]
        log(f"{name} state keys", sorted(opt.state[model[0].weight]))
    log("results", results)


# --------------------------- what notebooks print: losses, the optimizer, a state dict, a batch
def printing_objects(torch, log):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(36)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2))
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    out = model(x)
    rows = [_printed(torch, F.cross_entropy(out, y)), _printed(torch, F.mse_loss(out, out * 2)),
            _printed(torch, F.binary_cross_entropy_with_logits(out, torch.ones(4, 2))),
            _printed(torch, out.mean()), _printed(torch, out[:2]), _printed(torch, out.max(1)),
            _printed(torch, nn.SmoothL1Loss()(out, x[:, :2])), _printed(torch, F.relu(out)[0]),
            _printed(torch, torch.softmax(out, 1)[0]), _printed(torch, out.argmax(1) == y)]
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rows.append(_printed(torch, opt))
    rows.append(_printed(torch, torch.optim.Adam(model.parameters(), lr=1e-3)))
    rows.append(_printed(torch, model[0].state_dict()))
    ds = torch.utils.data.TensorDataset(x, y)
    rows += [_printed(torch, ds[0]), _printed(torch, next(iter(torch.utils.data.DataLoader(
        ds, batch_size=2))))]
    rows.append(_printed(torch, model[0].weight))
    log("printed", rows)
    log("sgd groups", [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
    log("lengths", [len(torch.utils.data.DataLoader(ds, batch_size=3)),
                    len(torch.utils.data.DataLoader(ds, batch_size=3, drop_last=True))])


# ---------------------------- the errors a notebook hits and prints (``except RuntimeError as e``)
def notebook_errors(torch, log):
    nn = torch.nn
    torch.manual_seed(37)
    attempts = {
        "float64 batch": lambda: nn.Linear(4, 2)(torch.randn(3, 4).double()),
        "int32 targets": lambda: nn.CrossEntropyLoss()(torch.randn(6, 3),
                                                       torch.tensor([0, 1, 2, 0, 1, 2]).int()),
        "cat": lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)]),
        "view": lambda: torch.ones(2, 3).view(4, 2),
        "view of a transpose": lambda: torch.ones(2, 3).t().view(6),
        "backward twice": lambda: [l.backward() for l in
                                   [(torch.ones(2, requires_grad=True) * 2).sum()] * 2],
        "no graph": lambda: torch.ones(2).sum().backward(),
        "not a scalar": lambda: (torch.ones(2, requires_grad=True) * 2).backward(),
        "leaf in place": lambda: torch.ones(2, requires_grad=True).add_(1),
        "mean of ints": lambda: torch.tensor([1, 2]).mean(),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            log(name, "no error")
        except RuntimeError as e:        # (ours a ShapeError or DTypeError: RuntimeErrors too)
            log(name, RuntimeError(str(e)))
    try:
        nn.CrossEntropyLoss()(torch.randn(6, 3), torch.rand(6))
    except RuntimeError as e:
        log("float targets of another shape", RuntimeError(str(e)))


# ------------------------------------------------------------------------------- the table
# (program, tolerance: the largest difference from torch in a row, relative to the row's largest
# magnitude; printed lines: the same text, numbers within it or one unit of the last digit).
# float32: single ops and a few steps of a small model agree to a few ulps (2**-23). Scheduler
# programs log Python floats (float64): a few float64 ulps; the float32 rows they also log (a
# 3-input linear layer, a 2-row batch) have no sum long enough to reorder and agree exactly.
# A learning-rate finder's float32 losses (lr_finder) were in scheduler_idioms: exact on an AMD
# CPU, but on an Intel one torch's products fuse their multiply-adds (helpers.INTEL_CPU): 0.6
# float32 ulps of the row apart, so a float32 program of its own.
# (a) clip_grad_value_'s row has the clip value (0.01) as its scale while its unclipped entries
# keep the ulps of the larger gradients they came from: ~5 ulps of 0.01 (the gradient before
# clipping: under 1); 1 float64 ulp in float64 (FLOAT64). (b) the gradient of a two-layer LSTM
# summed over 25 windows of 5 steps: ~3 ulps; 2.4 float64 ulps in float64.
PROGRAMS = [
    (tabular_regression, 4 * F32), (weighted_classification, 4 * F32),
    (bce_pos_weight, 4 * F32), (plateau_early_stopping, 4 * F32),
    (init_weights_apply, 4 * F32),
    (clip_and_accumulate, 8 * F32),          # (a)
    (as_script(topk_and_confusion), 4 * F32), (gru_text_classifier, 4 * F32),
    (lstm_forecasting, 8 * F32),             # (b)
    (metric_learning, 4 * F32), (conv_autoencoder, 4 * F32),
    (adamw_warmup, 4 * F32), (one_cycle, 4 * F64), (cosine_restarts, 4 * F64),
    (ema_weights, 4 * F32), (swa_update_bn, 4 * F32), (cpu_autocast, 4 * F32),
    (checkpoint_resume, 4 * F32), (freeze_layers, 4 * F32),
    (seed_everything, 0.0), (as_script(printing), 0.0), (weighted_sampler, 0.0),
    (tabular_preprocessing, 4 * F32), (as_script(model_summary), 4 * F32),
    (scheduler_idioms, 4 * F64), (lr_finder, 4 * F32),
    (focal_and_mixup, 4 * F32), (dropout_train_eval, 4 * F32), (bag_of_embeddings, 4 * F32),
    (phases_loop, 4 * F32), (sequence_losses, 4 * F32), (as_script(print_options), 0.0),
    (checkpoint_files, 0.0), (plateau_variants, 4 * F64), (rnn_details, 4 * F32),
    (checkpoint_numpy_scalar, 0.0),   # (NumPy's scalar pickled as NumPy's, as torch)
    (optimizer_zoo, 4 * F32), (as_script(printing_objects), 4 * F32),
    (notebook_errors, 0.0),
]

FLOAT64 = [(in_float64(p), 4 * F64) for p in (clip_and_accumulate, lstm_forecasting)]

XFAIL = [
    pytest.param(cpu_autocast_half, 4 * F32, marks=pytest.mark.xfail(
        strict=True, reason="autocast('cpu') enabled (float16 or its default bfloat16) is "
                            "refused with NotImplementedError (README: NumPy has no bfloat16, "
                            "and torch's float16 kernels round where ours would not); torch "
                            "runs the linear layer in float16")),
]


@pytest.mark.parametrize("program,tol", PROGRAMS + FLOAT64,
                         ids=lambda p: getattr(p, "__name__", ""))
def test_script_prints_torchs_numbers(program, tol):
    compare(program, tol)


@pytest.mark.parametrize("program,tol", XFAIL, ids=lambda p: getattr(p, "__name__", ""))
def test_script_differences_left(program, tol):
    compare(program, tol)


# ------------------------------------------- a whole notebook script, through the torch runner
# (its first Linear has no bias, as usual before a batch norm: that bias's gradient is 0 in exact
# arithmetic, so AdamW would move it by ±lr a step on the sign of rounding noise — torch's and
# ours different noise — and the running mean, and the validation losses, with it)
SCRIPT = '''
import copy, os, random, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

def seed_everything(seed=42):
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)
seed_everything()
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
X = np.random.randn(40, 6).astype(np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_ds, val_ds = random_split(ds, [32, 8])
train_dl = DataLoader(train_ds, batch_size=8, shuffle=True)
val_dl = DataLoader(val_ds, batch_size=8)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                                 nn.Dropout(0.2), nn.Linear(16, 3))
    def forward(self, x):
        return self.net(x)

def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)

model = Net().to(device)
model.apply(init_weights)
print(model)
print(f"params: {sum(p.numel() for p in model.parameters() if p.requires_grad)}")
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-2, epochs=4,
                                            steps_per_epoch=len(train_dl))
crit = nn.CrossEntropyLoss(label_smoothing=0.05)
best_loss, best_wts = float("inf"), None
for epoch in range(4):
    model.train()
    tr_loss = 0.0
    for xb, yb in train_dl:
        xb, yb = xb.to(device), yb.to(device)
        opt.zero_grad()
        loss = crit(model(xb), yb)
        loss.backward()
        gn = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        tr_loss += loss.item()
    model.eval()
    correct, vl = 0, 0.0
    with torch.no_grad():
        for xb, yb in val_dl:
            out = model(xb)
            vl += crit(out, yb).item()
            correct += (out.argmax(1) == yb).sum().item()
    print(f"epoch {epoch+1} | train {tr_loss/len(train_dl):.4f} | val {vl/len(val_dl):.4f} "
          f"| acc {correct/len(val_ds):.3f} | gn {gn:.3f} | lr {sched.get_last_lr()[0]:.5f}")
    if vl < best_loss:
        best_loss, best_wts = vl, copy.deepcopy(model.state_dict())
model.load_state_dict(best_wts)
path = os.path.join(sys.argv[1], "ckpt.pt")
torch.save({"epoch": 4, "model": model.state_dict(), "opt": opt.state_dict(),
            "sched": sched.state_dict()}, path)
ck = torch.load(path)
print(ck["epoch"], list(ck["model"])[:3], ck["sched"]["last_epoch"])
with torch.no_grad():
    preds = model(torch.from_numpy(X)).argmax(1)
cm = torch.zeros(3, 3, dtype=torch.long)
cm.index_put_((torch.from_numpy(y), preds), torch.ones_like(preds), accumulate=True)
print(cm)
print(model.net[0].weight[:2, :3])
print(loss, preds.dtype, preds.shape)
'''


def test_notebook_script_through_the_torch_runner_prints_torchs_text(tmp_path):
    import runpy
    import sys
    from test_probe34_examples import _same_printed
    from tinygrad_sgd.as_torch import run_script
    path = tmp_path / "notebook.py"
    path.write_text(SCRIPT)
    printed = []
    argv = sys.argv[:]
    try:
        for run_it in (lambda: run_script(str(path), (str(tmp_path),)),
                       lambda: runpy.run_path(str(path))):
            sys.argv = [str(path), str(tmp_path)]      # (real torch's run: as python would)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                run_it()
            printed.append(out.getvalue().splitlines())
    finally:
        sys.argv = argv
    assert any(line.startswith("epoch 4 |") for line in printed[1]), printed[1]
    _same_printed(printed[0], printed[1], 4 * F32, "printed")
