"""What evaluation code computes, on synthetic predictions: accuracy (argmax, topk, eq,
float().mean()), a confusion matrix with bincount, precision / recall / F1 by hand, sorting
(descending, stable), unique (sorted, return_inverse, return_counts, dim=0), histc, bucketize,
searchsorted (right=True, sorter), quantile with every interpolation, nanmean, a ROC AUC from
cumsum, k-means with cdist + argmin, PCA with linalg.svd and pca_lowrank, linear regression
with linalg.lstsq, cov / corrcoef, kthvalue / median / mode.

Command line: --samples (default 200), --classes (default 4), --kmeans-iters (default 5),
--seed (default 0).
"""
import argparse

import torch

parser = argparse.ArgumentParser(description="metrics and math")
parser.add_argument("--samples", type=int, default=200)
parser.add_argument("--classes", type=int, default=4)
parser.add_argument("--kmeans-iters", type=int, default=5)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
N, C = args.samples, args.classes

# ------------------------------------------------------------------ classification metrics
targets = torch.randint(0, C, (N,))
logits = torch.randn(N, C) + 2.0 * torch.nn.functional.one_hot(targets, C)
preds = torch.argmax(logits, dim=1)
print("preds[:10]:", preds[:10])
acc = torch.eq(preds, targets).float().mean()
print(f"accuracy: {acc.item():.4f}", acc)
top2 = logits.topk(2, dim=1)
print("top2 values:", top2.values[:3])
print("top2 indices:", top2.indices[:3])
top2_acc = (top2.indices == targets.unsqueeze(1)).any(dim=1).float().mean()
print("top-2 accuracy:", top2_acc)
vals, idx = torch.topk(logits[0], k=3, largest=False, sorted=True)
print("smallest 3:", vals, idx)

cm = torch.bincount(targets * C + preds, minlength=C * C).reshape(C, C)
print("confusion matrix:\n", cm)
tp = cm.diag().float()
precision = tp / cm.sum(0).clamp(min=1)
recall = tp / cm.sum(1).clamp(min=1)
f1 = 2 * precision * recall / (precision + recall)
print("precision:", precision)
print("recall:", recall)
print("f1:", f1, "macro:", f1.mean())
weights = torch.bincount(targets, minlength=C).float() / N
print("weighted f1:", (f1 * weights).sum())
probs = torch.softmax(logits, dim=1)
print("probs row sums:", probs.sum(1)[:3])
print("log_softmax max:", torch.log_softmax(logits, 1).max(1))

# ------------------------------------------------------------------ sorting and uniques
scores = torch.randint(0, 5, (12,)).float()
print("scores:", scores)
s = torch.sort(scores, descending=True, stable=True)
print("sorted:", s.values, s.indices)
print("argsort stable:", torch.argsort(scores, stable=True))
u = torch.unique(targets[:15], sorted=True, return_inverse=True, return_counts=True)
print("unique:", u)
rows = torch.randint(0, 2, (6, 3))
print("rows:", rows)
print("unique rows:", torch.unique(rows, dim=0, return_inverse=True, return_counts=True))
print("unique_consecutive:", torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1]),
                                                      return_counts=True))

# ------------------------------------------------------------------ histograms and buckets
x = torch.randn(1000)
print("histc:", torch.histc(x, bins=8, min=-3, max=3))
print("histc auto:", torch.histc(x[:50], bins=5))
boundaries = torch.tensor([-1.0, 0.0, 1.0])
print("bucketize:", torch.bucketize(x[:8], boundaries), x[:8])
print("bucketize right:", torch.bucketize(torch.tensor([-1.0, 0.0, 0.5, 1.0]), boundaries,
                                          right=True))
sorted_seq = torch.tensor([1, 3, 5, 7, 9])
print("searchsorted:", torch.searchsorted(sorted_seq, torch.tensor([3, 6, 9])))
print("searchsorted right:", torch.searchsorted(sorted_seq, torch.tensor([3, 6, 9]), right=True))
unsorted = torch.tensor([5.0, 1.0, 9.0, 3.0, 7.0])
sorter = torch.argsort(unsorted)
print("searchsorted sorter:", torch.searchsorted(unsorted, torch.tensor([3.0, 8.0]),
                                                 sorter=sorter))
print("searchsorted side:", torch.searchsorted(sorted_seq, torch.tensor([[1, 9], [4, 7]]),
                                               side="right"))

# ------------------------------------------------------------------ quantiles and nans
q = torch.tensor([0.1, 0.5, 0.9])
data = torch.randn(11)
for mode in ["linear", "lower", "higher", "midpoint", "nearest"]:
    print(f"quantile {mode}:", torch.quantile(data, q, interpolation=mode))
print("quantile dim:", torch.quantile(torch.randn(3, 5), 0.25, dim=1, keepdim=True))
with_nan = torch.tensor([1.0, float("nan"), 3.0, 4.0])
print("nanmean:", torch.nanmean(with_nan), "mean:", with_nan.mean())
print("nanmedian:", torch.nanmedian(with_nan), "nansum:", torch.nansum(with_nan))
print("nanquantile:", torch.nanquantile(with_nan, 0.5))
print("isnan count:", torch.isnan(with_nan).sum())

# ------------------------------------------------------------------ ROC AUC
labels = (torch.rand(N) < 0.4).long()
score = labels.float() * 0.8 + torch.randn(N) * 0.7
order = torch.argsort(score, descending=True)
y = labels[order].float()
tps = torch.cumsum(y, dim=0)
fps = torch.cumsum(1 - y, dim=0)
tpr = torch.cat([torch.zeros(1), tps / tps[-1]])
fpr = torch.cat([torch.zeros(1), fps / fps[-1]])
auc = torch.trapezoid(tpr, fpr)
print(f"roc auc: {auc.item():.4f}")
print("auc (trapz):", torch.trapz(tpr, fpr))
pos, neg = score[labels == 1], score[labels == 0]
print("auc (pairs):", (pos[:, None] > neg[None, :]).float().mean())

# ------------------------------------------------------------------ k-means
centers_true = torch.tensor([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
pts = torch.cat([c + torch.randn(N // 3, 2) for c in centers_true])
centroids = pts[torch.randperm(len(pts))[:3]].clone()
for it in range(args.kmeans_iters):
    d = torch.cdist(pts, centroids)
    assign = d.argmin(dim=1)
    inertia = d.gather(1, assign[:, None]).pow(2).sum()
    centroids = torch.stack([pts[assign == k].mean(0) for k in range(3)])
    print(f"kmeans iter {it} inertia {inertia.item():.3f} sizes {torch.bincount(assign, minlength=3).tolist()}")
print("centroids:", centroids)
print("cdist p=1:", torch.cdist(pts[:2], centroids, p=1))

# ------------------------------------------------------------------ PCA
X = torch.randn(N, 5) @ torch.randn(5, 5)
Xc = X - X.mean(0)
U, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
explained = S ** 2 / (S ** 2).sum()
print("singular values:", S)
print("explained variance:", explained)
proj = Xc @ Vh[:2].T
print("projection var:", proj.var(0))
if hasattr(torch, "pca_lowrank"):
    U2, S2, V2 = torch.pca_lowrank(X, q=3, center=True)
    print("pca_lowrank singular values:", S2)
    print("shapes:", U2.shape, S2.shape, V2.shape)
print("svdvals:", torch.linalg.svdvals(Xc)[:3])

# ------------------------------------------------------------------ regression
A = torch.randn(N, 3)
w_true = torch.tensor([[1.5], [-2.0], [0.5]])
b = A @ w_true + 0.1 * torch.randn(N, 1)
sol = torch.linalg.lstsq(A, b)
print("lstsq solution:", sol.solution.squeeze())
A1 = torch.cat([A, torch.ones(N, 1)], dim=1)
coef = torch.linalg.lstsq(A1, b).solution
resid = b - A1 @ coef
r2 = 1 - resid.pow(2).sum() / (b - b.mean()).pow(2).sum()
print(f"r2: {r2.item():.5f}", "coef:", coef.squeeze())
print("pinv solution:", (torch.linalg.pinv(A) @ b).squeeze())

# ------------------------------------------------------------------ covariance
M = torch.randn(3, 50)
M[1] += M[0]
print("cov:", torch.cov(M))
print("corrcoef:", torch.corrcoef(M))
print("cov correction=0:", torch.cov(M, correction=0)[0])
fw = torch.randint(1, 4, (50,))
print("cov fweights:", torch.cov(M, fweights=fw)[0])

# ------------------------------------------------------------------ order statistics
v = torch.tensor([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
print("kthvalue:", torch.kthvalue(v, 3))
print("median:", torch.median(v), v.median(dim=0))
print("mode:", torch.mode(torch.tensor([1, 2, 2, 3, 3, 3, 1])))
mat = torch.randint(0, 3, (3, 6))
print("mode dim:", torch.mode(mat, dim=1))
print("median dim:", torch.median(mat.float(), dim=1, keepdim=True))
print("kthvalue dim:", torch.kthvalue(mat, 2, dim=0))
print("std/var:", v.std(), v.var(unbiased=False), torch.std_mean(v))
print("var_mean:", torch.var_mean(mat.float(), dim=1, correction=0))
print("cummax:", torch.cummax(v, 0))
print("logsumexp:", torch.logsumexp(v, 0))
print("aminmax:", torch.aminmax(v))
