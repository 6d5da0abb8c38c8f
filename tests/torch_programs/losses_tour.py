"""A tour of torch.nn's loss modules: every loss of torch.nn (L1, MSE, cross entropy with class
weights, ignore_index, label smoothing, probability targets and K-dimensional inputs, CTC,
NLL, Poisson and Gaussian NLL, KL divergence, binary cross entropy with and without logits,
the margin and hinge losses, Huber and smooth L1, the soft-margin losses, cosine embedding,
multi-margin, the triplet losses) under each reduction, on small random inputs with edge
values (exact zeros, ties, targets equal to inputs, large logits, empty batches): the loss
and the gradient of its sum for each input; second derivatives of a few
(torch.autograd.grad with create_graph=True); float64; a few invalid inputs and torch's
error for each; and a tiny model trained for a few steps with SGD by several of them.

As the tutorials, plus the command line: --steps (default 10), --seed (default 0).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="torch.nn losses tour")
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
REDUCTIONS = ("none", "mean", "sum")


def fmt(t, digits=6):
    t = t.detach()
    if t.dim() == 0:
        return f"{t.item():.{digits}f}"
    vals = " ".join(f"{v:.{digits}f}" for v in t.reshape(-1).tolist())
    return f"[{vals}] {tuple(t.shape)} {str(t.dtype).replace('torch.', '')}"


def err(e):
    """The error's kind only: the library raises its own subclasses (its ShapeError is both
    a ValueError and a RuntimeError) and words some messages differently."""
    if isinstance(e, NotImplementedError):
        return "NotImplementedError"
    if isinstance(e, (RuntimeError, ValueError)):
        return "RuntimeError or ValueError"
    return type(e).__name__


def check(name, make, inputs, reductions=REDUCTIONS, digits=6, grad=None):
    """make(reduction) -> loss module or callable; inputs: tensors (float ones get grads, or
    those whose index is in ``grad``)."""
    for reduction in reductions:
        leaves = [x.detach().clone().requires_grad_(True)
                  if x.is_floating_point() and (grad is None or i in grad) else x
                  for i, x in enumerate(inputs)]
        try:
            out = make(reduction)(*leaves)
            line = f"{name:34s} {reduction:9s} loss {fmt(out, digits)}"
            out.sum().backward()
            grads = [fmt(x.grad, digits) if x.grad is not None else "None"
                     for x in leaves if x.requires_grad]
            print(line)
            for i, g in enumerate(grads):
                print(f"    grad{i} {g}")
        except Exception as e:  # noqa: BLE001 - a tour: report and go on
            print(f"{name:34s} {reduction:9s} error {err(e)}")


def second_order(name, fn, *inputs):
    """d/dx of |d loss/dx|^2 (create_graph=True), for the first input."""
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    try:
        loss = fn(*leaves)
        (g,) = torch.autograd.grad(loss, leaves[0], create_graph=True)
        (gg,) = torch.autograd.grad(g.pow(2).sum(), leaves[0])
        print(f"{name:34s} 2nd-order g {fmt(g)}")
        print(f"{'':34s} gg {fmt(gg)}")
    except Exception as e:  # noqa: BLE001
        print(f"{name:34s} 2nd-order error {err(e)}")


def invalid(name, fn):
    try:
        out = fn()
        print(f"{name:40s} ok {fmt(out)}")
    except Exception as e:  # noqa: BLE001
        print(f"{name:40s} {err(e)}")


print("=== regression losses ===")
x = torch.randn(4, 3)
y = torch.randn(4, 3)
x[0] = y[0]                        # targets equal to inputs
x[1, 0] = 0.0
y[1, 0] = 0.0                      # exact zeros
x[1, 1], y[1, 1] = 1.5, 0.5        # |diff| == 1 (the Huber/SmoothL1 boundary)
x[1, 2], y[1, 2] = 0.25, -0.25     # |diff| == 0.5
x[2, 0], y[2, 0] = -2.0, 0.0       # |diff| == 2
check("L1Loss", lambda r: nn.L1Loss(reduction=r), [x, y])
check("MSELoss", lambda r: nn.MSELoss(reduction=r), [x, y])
check("HuberLoss", lambda r: nn.HuberLoss(reduction=r), [x, y])
check("HuberLoss(delta=0.5)", lambda r: nn.HuberLoss(reduction=r, delta=0.5), [x, y])
check("HuberLoss(delta=2)", lambda r: nn.HuberLoss(reduction=r, delta=2.0), [x, y])
check("SmoothL1Loss", lambda r: nn.SmoothL1Loss(reduction=r), [x, y])
check("SmoothL1Loss(beta=0.5)", lambda r: nn.SmoothL1Loss(reduction=r, beta=0.5), [x, y])
check("SmoothL1Loss(beta=0)", lambda r: nn.SmoothL1Loss(reduction=r, beta=0.0), [x, y])
check("MSELoss(broadcast target)", lambda r: nn.MSELoss(reduction=r), [x, y[0]])
check("L1Loss(empty)", lambda r: nn.L1Loss(reduction=r), [torch.randn(0, 3), torch.randn(0, 3)])
check("MSELoss(empty)", lambda r: nn.MSELoss(reduction=r), [torch.randn(0, 3), torch.randn(0, 3)])
check("HuberLoss(empty)", lambda r: nn.HuberLoss(reduction=r), [torch.randn(0), torch.randn(0)])
check("SmoothL1Loss(scalar)", lambda r: nn.SmoothL1Loss(reduction=r),
      [torch.tensor(0.3), torch.tensor(-0.4)])

print("=== cross entropy / nll ===")
logits = torch.randn(5, 4)
logits[0, 1] = 50.0
logits[1, 2] = -50.0
logits[2] = 0.0                    # ties
target = torch.tensor([1, 2, 0, 3, 1])
weight = torch.tensor([0.5, 1.0, 2.0, 0.25])
check("CrossEntropyLoss", lambda r: nn.CrossEntropyLoss(reduction=r), [logits, target])
check("CrossEntropyLoss(weight)", lambda r: nn.CrossEntropyLoss(weight, reduction=r),
      [logits, target])
tgt_ign = torch.tensor([1, -100, 0, 3, -100])
check("CrossEntropyLoss(ignore -100)", lambda r: nn.CrossEntropyLoss(reduction=r),
      [logits, tgt_ign])
tgt_ign2 = torch.tensor([1, 2, 2, 3, 0])
check("CrossEntropyLoss(weight,ignore=2)",
      lambda r: nn.CrossEntropyLoss(weight, ignore_index=2, reduction=r), [logits, tgt_ign2])
check("CrossEntropyLoss(ls=0.1)", lambda r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1),
      [logits, target])
check("CrossEntropyLoss(w,ign,ls=0.2)",
      lambda r: nn.CrossEntropyLoss(weight, ignore_index=2, reduction=r, label_smoothing=0.2),
      [logits, tgt_ign2])
probs = torch.softmax(torch.randn(5, 4), dim=1)
probs[0] = torch.tensor([0.0, 1.0, 0.0, 0.0])
check("CrossEntropyLoss(prob targets)", lambda r: nn.CrossEntropyLoss(reduction=r),
      [logits, probs])
check("CrossEntropyLoss(prob,w,ls=0.1)",
      lambda r: nn.CrossEntropyLoss(weight, reduction=r, label_smoothing=0.1), [logits, probs])
lk = torch.randn(2, 3, 2, 2)
tk = torch.tensor([[[0, 1], [2, -100]], [[1, 1], [0, 2]]])
check("CrossEntropyLoss(K-dim)", lambda r: nn.CrossEntropyLoss(reduction=r), [lk, tk])
check("CrossEntropyLoss(K-dim,w,ls)",
      lambda r: nn.CrossEntropyLoss(torch.tensor([1.0, 2.0, 0.5]), reduction=r,
                                    label_smoothing=0.3), [lk, tk])
pk = torch.softmax(torch.randn(2, 3, 2, 2), dim=1)
check("CrossEntropyLoss(K-dim probs)", lambda r: nn.CrossEntropyLoss(reduction=r), [lk, pk])
check("CrossEntropyLoss(unbatched)", lambda r: nn.CrossEntropyLoss(reduction=r),
      [torch.randn(4), torch.tensor(2)])
check("CrossEntropyLoss(unbatched ls)",
      lambda r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.25),
      [torch.randn(4), torch.tensor(2)])
check("CrossEntropyLoss(all ignored)", lambda r: nn.CrossEntropyLoss(reduction=r),
      [logits[:2], torch.tensor([-100, -100])])
check("CrossEntropyLoss(empty)", lambda r: nn.CrossEntropyLoss(reduction=r),
      [torch.randn(0, 4), torch.zeros(0, dtype=torch.long)])
check("CrossEntropyLoss(empty,ls)", lambda r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1),
      [torch.randn(0, 4), torch.zeros(0, dtype=torch.long)])
lp = torch.log_softmax(logits, dim=1)
check("NLLLoss", lambda r: nn.NLLLoss(reduction=r), [lp, target])
check("NLLLoss(weight,ignore=2)", lambda r: nn.NLLLoss(weight, ignore_index=2, reduction=r),
      [lp, tgt_ign2])
check("NLLLoss(K-dim,weight)", lambda r: nn.NLLLoss(torch.tensor([1.0, 2.0, 0.5]), reduction=r),
      [torch.log_softmax(lk, 1), tk])
check("NLLLoss(raw scores)", lambda r: nn.NLLLoss(reduction=r), [logits, target])
check("NLLLoss(all ignored,weight)", lambda r: nn.NLLLoss(weight, reduction=r),
      [lp[:2], torch.tensor([-100, -100])])

print("=== ctc ===")
T, N, C, S = 7, 3, 5, 4
ctc_lp = torch.randn(T, N, C).log_softmax(2)
ctc_tg = torch.tensor([[1, 2, 2, 3], [4, 1, 0, 0], [2, 2, 2, 2]])
in_lens = torch.tensor([7, 5, 6])
tg_lens = torch.tensor([4, 2, 4])          # the third: 2 2 2 2 needs 7 frames, has 6
check("CTCLoss", lambda r: (lambda a, b: nn.CTCLoss(reduction=r)(a, b, in_lens, tg_lens)),
      [ctc_lp, ctc_tg])
check("CTCLoss(zero_infinity)",
      lambda r: (lambda a, b: nn.CTCLoss(reduction=r, zero_infinity=True)(a, b, in_lens,
                                                                        tg_lens)),
      [ctc_lp, ctc_tg])
ok_lens = torch.tensor([3, 2, 1])
check("CTCLoss(ok lens)", lambda r: (lambda a, b: nn.CTCLoss(reduction=r)(a, b, in_lens, ok_lens)),
      [ctc_lp, ctc_tg])
flat = torch.tensor([1, 2, 2, 4, 1, 3])
check("CTCLoss(concat targets,blank=4)",
      lambda r: (lambda a, b: nn.CTCLoss(blank=0, reduction=r)(a, b, (7, 4, 6), (3, 2, 1))),
      [ctc_lp, flat])
check("CTCLoss(empty target)",
      lambda r: (lambda a, b: nn.CTCLoss(reduction=r)(a, b, in_lens, torch.tensor([0, 2, 1]))),
      [ctc_lp, ctc_tg])
check("CTCLoss(unbatched)",
      lambda r: (lambda a, b: nn.CTCLoss(reduction=r)(a, b, torch.tensor(6), torch.tensor(3))),
      [ctc_lp[:, 0], torch.tensor([1, 3, 3])])
check("CTCLoss(blank=2)",
      lambda r: (lambda a, b: nn.CTCLoss(blank=2, reduction=r)(a, b, in_lens,
                                                              torch.tensor([2, 2, 1]))),
      [ctc_lp, torch.tensor([[1, 3], [4, 4], [0, 0]])])

print("=== poisson / gaussian / kl ===")
rate = torch.randn(6)
counts = torch.tensor([0.0, 1.0, 3.0, 2.0, 0.0, 7.0])
check("PoissonNLLLoss", lambda r: nn.PoissonNLLLoss(reduction=r), [rate, counts])
check("PoissonNLLLoss(full)", lambda r: nn.PoissonNLLLoss(full=True, reduction=r),
      [rate, counts])
pos_rate = torch.tensor([0.5, 1.0, 2.0, 0.0, 3.0, 7.0])
check("PoissonNLLLoss(log_input=F)", lambda r: nn.PoissonNLLLoss(log_input=False, reduction=r),
      [pos_rate, counts])
check("PoissonNLLLoss(log_input=F,full,eps)",
      lambda r: nn.PoissonNLLLoss(log_input=False, full=True, eps=0.1, reduction=r),
      [pos_rate, counts])
mu = torch.randn(4, 3)
obs = torch.randn(4, 3)
obs[0] = mu[0]
var = torch.rand(4, 3) + 0.1
var[1, 1] = 0.0                         # clamped to eps
check("GaussianNLLLoss", lambda r: nn.GaussianNLLLoss(reduction=r), [mu, obs, var])
check("GaussianNLLLoss(full,eps=1e-2)", lambda r: nn.GaussianNLLLoss(full=True, eps=1e-2,
                                                                     reduction=r),
      [mu, obs, var])
check("GaussianNLLLoss(var (N,1))", lambda r: nn.GaussianNLLLoss(reduction=r),
      [mu, obs, torch.rand(4, 1) + 0.5])
check("GaussianNLLLoss(var (N,))", lambda r: nn.GaussianNLLLoss(reduction=r),
      [mu, obs, torch.rand(4) + 0.5])
check("GaussianNLLLoss(unbatched,var (1,))", lambda r: nn.GaussianNLLLoss(reduction=r),
      [mu[0] + 0.3, obs[0], torch.tensor([0.7])])
lin = torch.log_softmax(torch.randn(3, 4), 1)
ptg = torch.softmax(torch.randn(3, 4), 1)
ptg[0] = torch.tensor([0.0, 0.5, 0.5, 0.0])        # zero probabilities
for red in ("none", "mean", "sum", "batchmean"):
    check("KLDivLoss", lambda r: nn.KLDivLoss(reduction=r), [lin, ptg], reductions=(red,))
    check("KLDivLoss(log_target)", lambda r: nn.KLDivLoss(reduction=r, log_target=True),
          [lin, torch.log_softmax(torch.randn(3, 4), 1)], reductions=(red,))

print("=== binary ===")
p = torch.rand(4, 3)
p[0, 0], p[0, 1], p[0, 2] = 0.0, 1.0, 0.5
bt = (torch.rand(4, 3) > 0.5).float()
bt[0, 0], bt[0, 1] = 0.0, 1.0           # confident and right
bt[1, 0] = 0.3                          # soft target
p[1, 1], bt[1, 1] = 1.0, 0.0            # confident and wrong: log clamped at -100
check("BCELoss", lambda r: nn.BCELoss(reduction=r), [p, bt])
check("BCELoss(weight (3,))", lambda r: nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5]),
                                                   reduction=r), [p, bt])
z = torch.randn(4, 3) * 3
z[0, 0], z[0, 1], z[0, 2] = 50.0, -50.0, 0.0
check("BCEWithLogitsLoss", lambda r: nn.BCEWithLogitsLoss(reduction=r), [z, bt])
check("BCEWithLogitsLoss(pos_weight (3,))",
      lambda r: nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 3.0, 0.5]), reduction=r),
      [z, bt])
check("BCEWithLogitsLoss(w,pw)",
      lambda r: nn.BCEWithLogitsLoss(weight=torch.tensor([[2.0], [1.0], [0.5], [1.0]]),
                                     pos_weight=torch.tensor([1.0, 3.0, 0.5]), reduction=r),
      [z, bt])
z4 = torch.randn(2, 3, 2, 2)
t4 = (torch.rand(2, 3, 2, 2) > 0.5).float()
check("BCEWithLogitsLoss(pw (3,1,1))",
      lambda r: nn.BCEWithLogitsLoss(pos_weight=torch.tensor([[[2.0]], [[0.5]], [[1.0]]]),
                                     reduction=r), [z4, t4])
check("BCEWithLogitsLoss(empty)", lambda r: nn.BCEWithLogitsLoss(reduction=r),
      [torch.randn(0, 3), torch.zeros(0, 3)])
check("BCELoss(empty)", lambda r: nn.BCELoss(reduction=r), [torch.rand(0), torch.zeros(0)])

print("=== margin / hinge ===")
a1 = torch.randn(6)
a2 = torch.randn(6)
a2[0] = a1[0]                            # tie
sign = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
check("MarginRankingLoss", lambda r: nn.MarginRankingLoss(reduction=r), [a1, a2, sign])
check("MarginRankingLoss(margin=0.5)", lambda r: nn.MarginRankingLoss(0.5, reduction=r),
      [a1, a2, sign])
hx = torch.tensor([0.5, 1.0, 0.0, 2.0, -0.3, 1.0])
check("HingeEmbeddingLoss", lambda r: nn.HingeEmbeddingLoss(reduction=r), [hx, sign])
check("HingeEmbeddingLoss(margin=2)", lambda r: nn.HingeEmbeddingLoss(2.0, reduction=r),
      [hx, sign])
check("HingeEmbeddingLoss(targets 0/1/-1)", lambda r: nn.HingeEmbeddingLoss(reduction=r),
      [hx, torch.tensor([1.0, -1.0, 0.0, 1.0, 0.5, -1.0])])
sx = torch.randn(3, 4)
sx[0, 0] = 0.0
sx[0, 1] = 50.0
sx[0, 2] = -50.0
st = torch.tensor([[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0], [-1.0, 1.0, 1.0, 1.0]])
check("SoftMarginLoss", lambda r: nn.SoftMarginLoss(reduction=r), [sx, st], grad=(0,))
check("SoftMarginLoss(target grad)", lambda r: nn.SoftMarginLoss(reduction=r), [sx, st],
      reductions=("mean",))
mt = (st > 0).float()
check("MultiLabelSoftMarginLoss", lambda r: nn.MultiLabelSoftMarginLoss(reduction=r), [sx, mt])
check("MultiLabelSoftMarginLoss(weight)",
      lambda r: nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 0.5, 2.0, 0.0]),
                                            reduction=r), [sx, mt])
mlx = torch.randn(3, 4)
mlx[1, 2] = mlx[1, 0]                    # tie between a target and a non-target
mlt = torch.tensor([[3, 0, -1, 1], [0, -1, 2, 2], [1, 2, 3, 0]])
check("MultiLabelMarginLoss", lambda r: nn.MultiLabelMarginLoss(reduction=r), [mlx, mlt])
check("MultiLabelMarginLoss(1-D)", lambda r: nn.MultiLabelMarginLoss(reduction=r),
      [mlx[0], torch.tensor([2, 1, -1, 0])])
check("MultiLabelMarginLoss(dup targets)", lambda r: nn.MultiLabelMarginLoss(reduction=r),
      [mlx, torch.tensor([[1, 1, -1, 0], [2, 2, 2, -1], [-1, 0, 0, 0]])])
mmx = torch.randn(4, 5)
mmx[0, 1] = mmx[0, 3]                    # tie with the target's score
mmt = torch.tensor([3, 0, 4, 2])
check("MultiMarginLoss", lambda r: nn.MultiMarginLoss(reduction=r), [mmx, mmt])
check("MultiMarginLoss(p=2)", lambda r: nn.MultiMarginLoss(p=2, reduction=r), [mmx, mmt])
check("MultiMarginLoss(margin=0.5,w)",
      lambda r: nn.MultiMarginLoss(margin=0.5, weight=torch.tensor([1.0, 2.0, 0.5, 1.5, 0.1]),
                                   reduction=r), [mmx, mmt])
check("MultiMarginLoss(p=2,margin=2,w)",
      lambda r: nn.MultiMarginLoss(p=2, margin=2.0,
                                   weight=torch.tensor([1.0, 2.0, 0.5, 1.5, 0.1]),
                                   reduction=r), [mmx, mmt])
check("MultiMarginLoss(1-D)", lambda r: nn.MultiMarginLoss(reduction=r),
      [mmx[1], torch.tensor(2)])

print("=== embedding / triplet ===")
e1 = torch.randn(4, 5)
e2 = torch.randn(4, 5)
e2[0] = e1[0]                            # identical pair
e2[1] = 0.0                              # zero vector
e2[2] = -e1[2]                           # opposite
ct = torch.tensor([1.0, 1.0, -1.0, -1.0])
check("CosineEmbeddingLoss", lambda r: nn.CosineEmbeddingLoss(reduction=r), [e1, e2, ct])
check("CosineEmbeddingLoss(margin=0.2)", lambda r: nn.CosineEmbeddingLoss(0.2, reduction=r),
      [e1, e2, -ct])
check("CosineEmbeddingLoss(1-D)", lambda r: nn.CosineEmbeddingLoss(reduction=r),
      [e1[3], e2[3], torch.tensor(-1.0)])
an = torch.randn(4, 5)
po = an + 0.1 * torch.randn(4, 5)
ne = torch.randn(4, 5)
po[0] = an[0]                            # zero distance
ne[1] = an[1]
for pp in (1.0, 2.0, 3.0):
    check(f"TripletMarginLoss(p={pp:g})", lambda r: nn.TripletMarginLoss(p=pp, reduction=r),
          [an, po, ne])
check("TripletMarginLoss(swap,margin=2)",
      lambda r: nn.TripletMarginLoss(margin=2.0, swap=True, reduction=r), [an, po, ne])
check("TripletMarginLoss(1-D)", lambda r: nn.TripletMarginLoss(reduction=r),
      [an[2], po[2], ne[2]])
check("TripletMarginWithDistanceLoss",
      lambda r: nn.TripletMarginWithDistanceLoss(reduction=r), [an, po, ne])


def cos_dist(a, b):
    return 1.0 - F.cosine_similarity(a, b)


check("TripletMarginWithDistance(cos,swap)",
      lambda r: nn.TripletMarginWithDistanceLoss(distance_function=cos_dist, margin=0.5,
                                                 swap=True, reduction=r), [an, po, ne])
check("TripletMarginWithDistance(l1 lambda)",
      lambda r: nn.TripletMarginWithDistanceLoss(
          distance_function=lambda a, b: (a - b).abs().sum(-1), reduction=r), [an, po, ne])
check("TripletMarginWithDistance(Pairwise)",
      lambda r: nn.TripletMarginWithDistanceLoss(
          distance_function=nn.PairwiseDistance(p=1.0), margin=3.0, reduction=r), [an, po, ne])

print("=== second order ===")
second_order("cross_entropy(ls,w)", lambda a: F.cross_entropy(a, target, weight,
                                                              label_smoothing=0.1), logits)
second_order("cross_entropy(probs)", lambda a: F.cross_entropy(a, probs), logits)
second_order("nll_loss(log_softmax)", lambda a: F.nll_loss(a.log_softmax(1), target), logits)
second_order("bce_with_logits(pw)", lambda a: F.binary_cross_entropy_with_logits(
    a, bt, pos_weight=torch.tensor([1.0, 3.0, 0.5])), z)
second_order("bce", lambda a: F.binary_cross_entropy(a.sigmoid(), bt), z)
second_order("mse", lambda a: F.mse_loss(a * a, y), x)
second_order("huber", lambda a: F.huber_loss(a * a, y, delta=0.5), x)
second_order("smooth_l1", lambda a: F.smooth_l1_loss(a * a, y, beta=0.5), x)
second_order("kl_div", lambda a: F.kl_div(a.log_softmax(1), ptg, reduction="batchmean"),
             torch.randn(3, 4))
second_order("gaussian_nll(var)", lambda v: F.gaussian_nll_loss(mu, obs, v), var + 0.2)
second_order("poisson_nll", lambda a: F.poisson_nll_loss(a, counts, full=True), rate)
second_order("soft_margin", lambda a: F.soft_margin_loss(a, st), sx)
second_order("cosine_embedding", lambda a: F.cosine_embedding_loss(a, e2[2:], ct[2:] * -1),
             e1[2:])
second_order("triplet", lambda a: F.triplet_margin_loss(a, po, ne, margin=5.0), an)
second_order("multilabel_soft_margin", lambda a: F.multilabel_soft_margin_loss(a, mt), sx)
second_order("l1 (x^3)", lambda a: F.l1_loss(a ** 3, y), x)

print("=== float64 ===")
x64 = x.double()
check("MSELoss f64", lambda r: nn.MSELoss(reduction=r), [x64, y.double()],
      reductions=("mean",), digits=12)
check("CrossEntropyLoss f64 ls", lambda r: nn.CrossEntropyLoss(weight.double(), reduction=r,
                                                               label_smoothing=0.1),
      [logits.double(), target], reductions=("mean",), digits=12)
check("BCEWithLogitsLoss f64", lambda r: nn.BCEWithLogitsLoss(
    pos_weight=torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64), reduction=r),
      [z.double(), bt.double()], reductions=("sum",), digits=12)
check("KLDivLoss f64", lambda r: nn.KLDivLoss(reduction=r), [lin.double(), ptg.double()],
      reductions=("batchmean",), digits=12)
check("GaussianNLLLoss f64", lambda r: nn.GaussianNLLLoss(full=True, reduction=r),
      [mu.double(), obs.double(), var.double()], reductions=("mean",), digits=12)
check("CTCLoss f64", lambda r: (lambda a, b: nn.CTCLoss(reduction=r)(a, b, in_lens, ok_lens)),
      [ctc_lp.double(), ctc_tg], reductions=("mean",), digits=12)
check("TripletMarginLoss f64", lambda r: nn.TripletMarginLoss(reduction=r),
      [an.double(), po.double(), ne.double()], reductions=("mean",), digits=12)
check("HuberLoss f64", lambda r: nn.HuberLoss(reduction=r, delta=0.5),
      [x64, y.double()], reductions=("sum",), digits=12)
check("MultiMarginLoss f64", lambda r: nn.MultiMarginLoss(p=2, reduction=r),
      [mmx.double(), mmt], reductions=("mean",), digits=12)
out = nn.MSELoss()(x, y.double())
print(f"MSELoss(f32, f64) dtype {out.dtype} {out.item():.8f}")
out = nn.L1Loss()(x.double(), y)
print(f"L1Loss(f64, f32) dtype {out.dtype} {out.item():.8f}")

print("=== invalid inputs ===")
invalid("CE float target wrong shape", lambda: F.cross_entropy(logits, torch.rand(5)))
invalid("CE int32 target", lambda: F.cross_entropy(logits, target.int()))
invalid("CE float class-index target", lambda: F.cross_entropy(logits, target.float()))
invalid("CE target out of range", lambda: F.cross_entropy(logits, torch.tensor([1, 2, 0, 3, 4])))
invalid("CE target batch mismatch", lambda: F.cross_entropy(logits, target[:3]))
invalid("CE prob target + ignore_index", lambda: F.cross_entropy(logits, probs, ignore_index=1))
invalid("CE label_smoothing=1.5", lambda: F.cross_entropy(logits, target, label_smoothing=1.5))
invalid("CE bad reduction", lambda: F.cross_entropy(logits, target, reduction="avg"))
invalid("CE weight wrong size", lambda: F.cross_entropy(logits, target, torch.ones(3)))
invalid("NLL 3-D target for 2-D input", lambda: F.nll_loss(lp, target.view(5, 1, 1)))
invalid("NLL negative target", lambda: F.nll_loss(lp, torch.tensor([1, 2, 0, -1, 1])))
invalid("MSE shape mismatch", lambda: F.mse_loss(x, torch.randn(4, 2)))
invalid("MSE long target", lambda: F.mse_loss(x, torch.ones(4, 3, dtype=torch.long)))
invalid("L1 bad reduction", lambda: F.l1_loss(x, y, reduction="batchmean"))
invalid("BCE target shape mismatch", lambda: F.binary_cross_entropy(p, bt[0]))
invalid("BCE input > 1", lambda: F.binary_cross_entropy(p + 1.0, bt))
invalid("BCE double target", lambda: F.binary_cross_entropy(p, bt.double()))
invalid("BCEWithLogits shape mismatch", lambda: F.binary_cross_entropy_with_logits(z, bt[:2]))
invalid("BCEWithLogits long target",
        lambda: F.binary_cross_entropy_with_logits(z, bt.long()))
invalid("KLDiv bad reduction", lambda: F.kl_div(lin, ptg, reduction="avg"))
invalid("Gaussian var negative", lambda: F.gaussian_nll_loss(mu, obs, -var))
invalid("Gaussian var bad shape", lambda: F.gaussian_nll_loss(mu, obs, torch.ones(4, 2)))
invalid("MultiMargin float target", lambda: F.multi_margin_loss(mmx, mmt.float()))
invalid("MultiMargin p=3", lambda: F.multi_margin_loss(mmx, mmt, p=3))
invalid("MultiLabelMargin shape", lambda: F.multilabel_margin_loss(mlx, mlt[:, :2]))
invalid("MarginRanking shape", lambda: F.margin_ranking_loss(a1, a2[:3], sign))
invalid("Cosine 3-D input", lambda: F.cosine_embedding_loss(torch.randn(2, 3, 4),
                                                            torch.randn(2, 3, 4), ct[:2]))
invalid("Triplet dims mismatch", lambda: F.triplet_margin_loss(an, po[0], ne))
invalid("TripletMarginLoss margin=0", lambda: nn.TripletMarginLoss(margin=0.0)(an, po, ne))
invalid("CTC float targets", lambda: F.ctc_loss(ctc_lp, ctc_tg.float(), in_lens, tg_lens))
invalid("CTC input_lengths too long",
        lambda: F.ctc_loss(ctc_lp, ctc_tg, torch.tensor([8, 5, 6]), tg_lens))
invalid("CTC 2-D input batched targets", lambda: F.ctc_loss(ctc_lp[:, 0], ctc_tg, in_lens, tg_lens))


def ctc_double():
    a = ctc_lp.detach().clone().requires_grad_(True)
    loss = F.ctc_loss(a, ctc_tg, in_lens, ok_lens)
    (g,) = torch.autograd.grad(loss, a, create_graph=True)
    (gg,) = torch.autograd.grad(g.pow(2).sum(), a)
    return gg.sum()


invalid("CTC double backward", ctc_double)


# (multi_margin_loss's and multilabel_margin_loss's double backward: torch has none, the
# library computes them)


print("=== training ===")
Xtr = torch.randn(32, 6)
ytr = (Xtr[:, 0] + Xtr[:, 1] > 0).long()
yreg = Xtr[:, :1] * 2 - Xtr[:, 2:3]


def train(name, out_dim, loss_of):
    torch.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, out_dim))
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        loss = loss_of(model(Xtr))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"{name:30s} " + " ".join(f"{v:.5f}" for v in losses))


train("CrossEntropy(ls=0.1,w)", 2,
      lambda o: nn.CrossEntropyLoss(torch.tensor([1.0, 2.0]), label_smoothing=0.1)(o, ytr))
train("BCEWithLogits(pos_weight)", 1,
      lambda o: nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))(o.squeeze(1),
                                                                     ytr.float()))
train("Huber(delta=0.5)", 1, lambda o: nn.HuberLoss(delta=0.5)(o, yreg))
train("MultiMargin(p=2)", 2, lambda o: nn.MultiMarginLoss(p=2)(o, ytr))
train("SmoothL1(beta=0)", 1, lambda o: nn.SmoothL1Loss(beta=0.0)(o, yreg))
train("GaussianNLL(learned var)", 2,
      lambda o: nn.GaussianNLLLoss()(o[:, :1], yreg, F.softplus(o[:, 1:])))
train("NLL(log_softmax,sum)", 2,
      lambda o: nn.NLLLoss(reduction="sum")(o.log_softmax(1), ytr) / 32)
