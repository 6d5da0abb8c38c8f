"""Graph neural networks written by hand, the way GNN tutorials do before reaching for a
library: a small random graph (an int64 edge_index), self loops, degrees by torch.bincount and
scatter_add_, symmetric normalisation (pow(-0.5) with the inf of isolated nodes masked to 0),
a 2-layer GCN whose message passing is index_select + index_add_, and a GAT-style attention
layer whose softmax over neighbours is done with the segment max trick (scatter_reduce amax,
gather back, exp, scatter_add_ of the denominators). Node features come from an nn.Embedding
plus random features; training is Adam (weight decay) on cross_entropy over a train mask,
with dropout; accuracy on the train/val/test masks. Before training every scatter_reduce
variant (sum, mean, amax, amin, prod; include_self True and False) is printed with its
gradient, and the graph bookkeeping (unique with inverse and counts, sort stable, argsort,
topk, cumsum, repeat_interleave, index_put_ with accumulate, x[idx] += ...) is shown.

Options: --nodes (default 40), --edges (default 120), --steps (default 20), --hidden
(default 16), --seed (default 0).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="hand-written GCN / GAT message passing")
parser.add_argument("--nodes", type=int, default=40)
parser.add_argument("--edges", type=int, default=120)
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--hidden", type=int, default=16)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
N, E, C, F_IN = args.nodes, args.edges, 4, 8


def fmt(t, p=6):
    return "[" + ", ".join(f"{v:.{p}f}" for v in t.detach().reshape(-1).tolist()) + "]"


def section(title):
    print()
    print("=" * 8, title, "=" * 8)


# ---------------------------------------------------------------- scatter_reduce on a small example
section("scatter_reduce variants")
src0 = torch.tensor([1.5, -2.0, 3.0, 0.5, 4.0, -1.0, 2.5, 0.75])
index0 = torch.tensor([0, 1, 0, 2, 1, 0, 4, 2])
base0 = torch.tensor([1.0, 2.0, -3.0, 0.5, 7.0])
for reduce in ["sum", "mean", "amax", "amin", "prod"]:
    for include_self in [True, False]:
        src = src0.clone().requires_grad_(True)
        base = base0.clone().requires_grad_(True)
        out = base.scatter_reduce(0, index0, src, reduce=reduce, include_self=include_self)
        weights = torch.arange(1.0, 6.0)
        (out * weights).sum().backward()
        print(f"{reduce:4s} self={int(include_self)} out={fmt(out, 4)}")
        print(f"     grad_src={fmt(src.grad, 4)} grad_self={fmt(base.grad, 4)}")

# ties for amax/amin: gradient is shared between equal maxima
src = torch.tensor([2.0, 2.0, 1.0, 3.0, 3.0, 3.0], requires_grad=True)
idx = torch.tensor([0, 0, 0, 1, 1, 1])
b = torch.tensor([2.0, 0.0], requires_grad=True)
out = b.scatter_reduce(0, idx, src, reduce="amax", include_self=True)
out.sum().backward()
print(f"amax ties out={fmt(out, 4)} grad_src={fmt(src.grad, 4)} grad_self={fmt(b.grad, 4)}")

# 2-D scatter_reduce along dim 1 and dim 0
x2 = torch.arange(12.0).reshape(3, 4).requires_grad_(True)
i2 = torch.tensor([[0, 1, 0, 1], [2, 2, 0, 0], [1, 0, 1, 2]])
o2 = torch.zeros(3, 3).scatter_reduce(1, i2, x2, reduce="mean", include_self=False)
o2.pow(2).sum().backward()
print(f"2d mean dim1 out={fmt(o2, 4)}")
print(f"2d mean dim1 grad={fmt(x2.grad, 4)}")
o3 = torch.full((3, 4), 5.0).scatter_reduce(0, i2, x2.detach(), reduce="amin")
print(f"2d amin dim0 out={fmt(o3, 4)}")

# integer scatter_reduce and scatter with reduce=
ii = torch.tensor([5, 3, 8, 1, 2, 7])
oi = torch.zeros(3, dtype=torch.int64).scatter_reduce(0, torch.tensor([0, 1, 0, 2, 1, 2]), ii, reduce="mean")
print("int mean", oi.tolist(), oi.dtype)
oi2 = torch.ones(3, dtype=torch.int64).scatter_reduce(0, torch.tensor([0, 1, 0, 2, 1, 2]), ii, reduce="prod", include_self=False)
print("int prod", oi2.tolist())
sm = torch.zeros(3, 5).scatter(1, torch.tensor([[0, 1], [2, 2], [4, 0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), reduce="add")
print(f"scatter reduce=add {fmt(sm, 2)}")
sm2 = torch.full((2, 3), 2.0).scatter(1, torch.tensor([[0, 0], [2, 1]]), 3.0, reduce="multiply")
print(f"scatter value reduce=multiply {fmt(sm2, 2)}")

# scatter_add / index_add / gather gradients
v = torch.randn(6, 3, requires_grad=True)
tgt = torch.zeros(4, 3).index_add(0, torch.tensor([0, 3, 3, 1, 0, 2]), v, alpha=0.5)
g = tgt.gather(1, torch.tensor([[0, 2], [1, 1], [2, 0], [0, 0]]))
(g * torch.arange(1.0, 9.0).view(4, 2)).sum().backward()
print(f"index_add+gather {fmt(g, 4)}")
print(f"grad v {fmt(v.grad, 4)}")

# ---------------------------------------------------------------- the graph
section("graph")
# the last 3 nodes get no edges (isolated)
src_nodes = torch.randint(0, N - 3, (E,))
dst_nodes = torch.randint(0, N - 3, (E,))
keep = src_nodes != dst_nodes
edge_index = torch.stack([src_nodes[keep], dst_nodes[keep]])
# make undirected and deduplicate with unique over an edge id
both = torch.cat([edge_index, edge_index.flip(0)], dim=1)
edge_id = both[0] * N + both[1]
uniq, inverse, counts = torch.unique(edge_id, return_inverse=True, return_counts=True)
print("edges raw", both.shape[1], "unique", uniq.numel(), "max multiplicity", int(counts.max()))
print("inverse head", inverse[:10].tolist(), "dtype", inverse.dtype)
edge_index = torch.stack([uniq // N, uniq % N])
# sort by destination (stable) as CSR builders do
order = torch.sort(edge_index[1], stable=True).indices
edge_index = edge_index[:, order]
print("first edges", edge_index[:, :8].tolist())
rowptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.bincount(edge_index[1], minlength=N).cumsum(0)])
print("rowptr head", rowptr[:12].tolist())
# isolated nodes exist? degree by bincount and by scatter_add_
deg_b = torch.bincount(edge_index[1], minlength=N)
deg_s = torch.zeros(N, dtype=torch.long).scatter_add_(0, edge_index[1], torch.ones_like(edge_index[1]))
print("deg equal", bool((deg_b == deg_s).all()), "isolated", (deg_b == 0).nonzero().flatten().tolist())
print("top-5 degree nodes", torch.topk(deg_b, 5).indices.tolist(), torch.topk(deg_b, 5).values.tolist())
print("argsort desc head", torch.argsort(deg_b, descending=True, stable=True)[:8].tolist())
expanded = torch.repeat_interleave(torch.arange(N), deg_b)
print("repeat_interleave matches dst", bool((expanded == edge_index[1]).all()))
print("repeat_interleave tensor repeats", torch.repeat_interleave(torch.tensor([1, 2, 3]), torch.tensor([2, 0, 3])).tolist())

# self loops and symmetric normalisation (isolated-node inf masked)
loops = torch.arange(N).unsqueeze(0).repeat(2, 1)
ei_no_loops = edge_index
deg_f = torch.zeros(N).scatter_add_(0, ei_no_loops[1], torch.ones(ei_no_loops.shape[1]))
dinv = deg_f.pow(-0.5)
print("inf count", int(torch.isinf(dinv).sum()))
dinv = dinv.masked_fill(torch.isinf(dinv), 0.0)
print(f"dinv head {fmt(dinv[:8])}")
edge_index_sl = torch.cat([edge_index, loops], dim=1)
row, col = edge_index_sl
deg = torch.zeros(N).index_add_(0, col, torch.ones(col.numel()))
deg_inv_sqrt = deg.pow(-0.5)
deg_inv_sqrt[deg_inv_sqrt == float("inf")] = 0
norm = deg_inv_sqrt[row] * deg_inv_sqrt[col]
print(f"norm sum {norm.sum().item():.6f} head {fmt(norm[:6])}")

# index_put_ accumulate and x[idx] += (non-accumulating for duplicates)
acc = torch.zeros(5)
acc.index_put_((torch.tensor([0, 1, 1, 4, 4, 4]),), torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), accumulate=True)
print(f"index_put_ accumulate {fmt(acc, 2)}")
acc2 = torch.zeros(3, 3)
acc2.index_put_((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 2])), torch.tensor(1.5), accumulate=True)
print(f"index_put_ 2d accumulate {fmt(acc2, 2)}")
plus = torch.zeros(5)
plus[torch.tensor([0, 2, 3])] += torch.tensor([1.0, 2.0, 3.0])
print(f"x[idx] += {fmt(plus, 2)}")
bm = torch.zeros(4, 2)
bm[torch.tensor([True, False, True, False])] += 1.0
print(f"bool mask += {fmt(bm, 2)}")

# ---------------------------------------------------------------- features, labels, masks
section("data")
emb = nn.Embedding(N, 4)
raw = torch.randn(N, F_IN - 4)
labels = (raw[:, 0] > 0).long() + 2 * (raw[:, 1] > 0.3).long()
perm = torch.randperm(N)
train_mask = torch.zeros(N, dtype=torch.bool)
train_mask[perm[: N // 2]] = True
val_mask = torch.zeros(N, dtype=torch.bool)
val_mask[perm[N // 2: 3 * N // 4]] = True
test_mask = ~(train_mask | val_mask)
print("label counts", torch.bincount(labels, minlength=C).tolist(), "train", int(train_mask.sum()), "val", int(val_mask.sum()), "test", int(test_mask.sum()))


def gcn_propagate(h, edge_index, norm):
    row, col = edge_index
    msg = h.index_select(0, row) * norm.unsqueeze(-1)
    out = torch.zeros(h.shape[0], h.shape[1], dtype=h.dtype)
    return out.index_add_(0, col, msg)


class GCNLayer(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.lin = nn.Linear(fin, fout, bias=False)
        self.bias = nn.Parameter(torch.zeros(fout))

    def forward(self, x, edge_index, norm):
        return gcn_propagate(self.lin(x), edge_index, norm) + self.bias


def segment_softmax(scores, index, num_nodes):
    # scores: [E, H]; softmax over edges grouped by destination
    idx = index.unsqueeze(-1).expand_as(scores)
    smax = torch.full((num_nodes, scores.shape[1]), float("-inf")).scatter_reduce(
        0, idx, scores, reduce="amax", include_self=True)
    smax = torch.where(torch.isinf(smax), torch.zeros_like(smax), smax)
    e = (scores - smax.gather(0, idx)).exp()
    denom = torch.zeros(num_nodes, scores.shape[1]).scatter_add_(0, idx, e)
    return e / (denom.gather(0, idx) + 1e-16)


class GATLayer(nn.Module):
    def __init__(self, fin, fout, heads=2):
        super().__init__()
        self.heads, self.fout = heads, fout
        self.lin = nn.Linear(fin, heads * fout, bias=False)
        self.att_src = nn.Parameter(torch.randn(1, heads, fout) * 0.3)
        self.att_dst = nn.Parameter(torch.randn(1, heads, fout) * 0.3)

    def forward(self, x, edge_index):
        src, dst = edge_index
        h = self.lin(x).view(-1, self.heads, self.fout)
        a_src = (h * self.att_src).sum(-1)
        a_dst = (h * self.att_dst).sum(-1)
        scores = F.leaky_relu(a_src[src] + a_dst[dst], 0.2)
        alpha = segment_softmax(scores, dst, x.shape[0])
        alpha = F.dropout(alpha, p=0.1, training=self.training)
        msg = h[src] * alpha.unsqueeze(-1)
        out = torch.zeros(x.shape[0], self.heads, self.fout)
        out = out.scatter_add(0, dst.view(-1, 1, 1).expand_as(msg), msg)
        # mean-aggregated neighbour max as a skip term (scatter_reduce mean / amax, no self)
        hmean = torch.zeros(x.shape[0], self.heads * self.fout).scatter_reduce(
            0, dst.view(-1, 1).expand(-1, self.heads * self.fout), h[src].reshape(-1, self.heads * self.fout),
            reduce="mean", include_self=False)
        return out.mean(1) + 0.1 * hmean.view(-1, self.heads, self.fout).amax(1), alpha


class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.emb = emb
        self.gcn1 = GCNLayer(F_IN, hidden)
        self.gcn2 = GCNLayer(hidden, hidden)
        self.gat = GATLayer(hidden, hidden)
        self.out = nn.Linear(2 * hidden, C)

    def forward(self, raw, edge_index, norm):
        x = torch.cat([self.emb(torch.arange(raw.shape[0])), raw], dim=1)
        h = F.relu(self.gcn1(x, edge_index, norm))
        h = F.dropout(h, p=0.2, training=self.training)
        h = self.gcn2(h, edge_index, norm)
        g, alpha = self.gat(F.elu(h), edge_index)
        # per-node amin over incoming neighbour features (prod of sign too) as extra readout
        cat = torch.stack([h, F.elu(g)], dim=0).permute(1, 0, 2).reshape(raw.shape[0], -1)
        return self.out(cat), alpha


model = Net(args.hidden)
opt = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)

section("forward check")
model.eval()
with torch.no_grad():
    logits0, alpha0 = model(raw, edge_index_sl, norm)
print(f"logits0 head {fmt(logits0[:2])}")
a_nl = segment_softmax(torch.randn(edge_index.shape[1], 2), edge_index[1], N)
print(f"no-loop softmax sums tail {fmt(torch.zeros(N, 2).index_add_(0, edge_index[1], a_nl)[-5:])}")
print(f"alpha sum per dst head {fmt(torch.zeros(N, 2).index_add_(0, edge_index_sl[1], alpha0)[:5])}")

section("training")
for step in range(args.steps):
    model.train()
    opt.zero_grad()
    logits, alpha = model(raw, edge_index_sl, norm)
    loss = F.cross_entropy(logits[train_mask], labels[train_mask])
    loss.backward()
    if step == 0:
        print(f"grad emb row0 {fmt(model.emb.weight.grad[0])}")
        print(f"grad norm gcn1 {model.gcn1.lin.weight.grad.norm().item():.6f} gat.att_src {model.gat.att_src.grad.norm().item():.6f}"
              f" att_dst {model.gat.att_dst.grad.norm().item():.6f} out {model.out.weight.grad.norm().item():.6f}")
    opt.step()
    print(f"step {step:2d} loss {loss.item():.6f}")

model.eval()
with torch.no_grad():
    logits, alpha = model(raw, edge_index_sl, norm)
    pred = logits.argmax(1)
    for name, mask in [("train", train_mask), ("val", val_mask), ("test", test_mask)]:
        acc = (pred[mask] == labels[mask]).float().mean().item()
        print(f"{name} acc {acc:.4f}")
    conf = torch.bincount(labels * C + pred, minlength=C * C).view(C, C)
    print("confusion", conf.tolist())
    print(f"alpha head {fmt(alpha[:6])}")
    # per-class aggregates with scatter_reduce prod/amin over nodes
    cls_min = torch.full((C,), float("inf")).scatter_reduce(0, labels, logits[:, 0], reduce="amin")
    cls_prod = torch.ones(C).scatter_reduce(0, labels, torch.sigmoid(logits[:, 1]), reduce="prod", include_self=False)
    print(f"class amin {fmt(cls_min)} class prod {fmt(cls_prod, 8)}")

section("node embedding gradient")
model.zero_grad()
model.train(False)
logits, _ = model(raw, edge_index_sl, norm)
F.cross_entropy(logits, labels, reduction="sum").backward()
print(f"grad emb row3 {fmt(model.emb.weight.grad[3])}")
print(f"grad emb norm {model.emb.weight.grad.norm().item():.6f}")
print(f"param norm total {torch.cat([p.detach().flatten() for p in model.parameters()]).norm().item():.6f}")
