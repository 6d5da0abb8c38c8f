"""Fine-tuning a pretrained backbone, as the transfer-learning tutorials write it: an
nn.Sequential of named blocks (OrderedDict) pretrained a few steps, its state_dict saved with
torch.save and loaded into a new model with load_state_dict(strict=False) (missing and
unexpected keys printed), a new head swapped in, the backbone frozen with requires_grad_(False)
and unfrozen later through optimizer.add_param_group with its own lr, gradient accumulation
over micro-batches, clip_grad_norm_(error_if_nonfinite=True), named_modules / named_children /
modules, parameters_to_vector / vector_to_parameters, half / float / double round trips,
torch.utils.checkpoint on a block, and torch.nn.utils.prune.

Command line: --pretrain-steps (default 50), --finetune-steps (default 60), --accum (default 4),
--micro-batch (default 16), --seed (default 0).
"""
import argparse
import os
import tempfile
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint
from torch.nn.utils import parameters_to_vector, vector_to_parameters

parser = argparse.ArgumentParser(description="fine-tune and freeze")
parser.add_argument("--pretrain-steps", type=int, default=50)
parser.add_argument("--finetune-steps", type=int, default=60)
parser.add_argument("--accum", type=int, default=4)
parser.add_argument("--micro-batch", type=int, default=16)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
IN, HID = 10, 32


def block(i, o):
    return nn.Sequential(OrderedDict([
        ("fc", nn.Linear(i, o)),
        ("norm", nn.LayerNorm(o)),
        ("act", nn.GELU()),
    ]))


def make_model(num_classes):
    return nn.Sequential(OrderedDict([
        ("block1", block(IN, HID)),
        ("block2", block(HID, HID)),
        ("drop", nn.Dropout(0.1)),
        ("head", nn.Linear(HID, num_classes)),
    ]))


# ------------------------------------------------------------------ pretraining (4 classes)
w_true = torch.randn(IN, 4)
def batch(n, classes):
    x = torch.randn(n, IN)
    logits = x @ w_true[:, :classes]
    return x, logits.argmax(dim=1)

model = make_model(4)
print(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(args.pretrain_steps):
    x, y = batch(64, 4)
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0 or step == args.pretrain_steps - 1:
        print(f"pretrain step {step:3d} loss {loss.item():.4f}")

tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "backbone.pt")
torch.save(model.state_dict(), path)
print("saved keys:", list(model.state_dict().keys()))

# ------------------------------------------------------------------ load into a new model
state = torch.load(path)
del state["head.weight"], state["head.bias"]
state["extra.running"] = torch.zeros(3)
new_model = make_model(2)
result = new_model.load_state_dict(state, strict=False)
print("missing keys:", result.missing_keys)
print("unexpected keys:", result.unexpected_keys)
print(result)
print("block1 weights equal:", torch.equal(new_model.block1.fc.weight, model.block1.fc.weight))
try:
    new_model.load_state_dict(state)
except RuntimeError as e:
    print("strict load:", str(e).splitlines()[0])

new_model.head = nn.Linear(HID, 2)
print("new head:", new_model.head)

# ------------------------------------------------------------------ iteration over modules
for name, module in new_model.named_modules():
    print(f"module {name!r}: {type(module).__name__}")
for name, child in new_model.named_children():
    print("child", name, type(child).__name__)
print("count of Linear modules:", sum(isinstance(m, nn.Linear) for m in new_model.modules()))
for name, p in new_model.named_parameters():
    print(f"param {name:18s} {tuple(p.shape)}")

# ------------------------------------------------------------------ freeze backbone
for name in ["block1", "block2"]:
    getattr(new_model, name).requires_grad_(False)
trainable = [n for n, p in new_model.named_parameters() if p.requires_grad]
print("trainable:", trainable)
print("frozen count:", sum(p.numel() for p in new_model.parameters() if not p.requires_grad))
opt = torch.optim.AdamW(new_model.head.parameters(), lr=1e-2, weight_decay=0.01)
print("param groups:", len(opt.param_groups), [g["lr"] for g in opt.param_groups])

def finetune_step(step):
    opt.zero_grad(set_to_none=True)
    total = 0.0
    for micro in range(args.accum):
        x, y = batch(args.micro_batch, 2)
        loss = F.cross_entropy(new_model(x), y) / args.accum
        loss.backward()
        total += loss.item()
    norm = torch.nn.utils.clip_grad_norm_(new_model.parameters(), max_norm=1.0,
                                          error_if_nonfinite=True)
    opt.step()
    return total, norm

half_point = args.finetune_steps // 2
new_model.train()
for step in range(args.finetune_steps):
    if step == half_point:
        new_model.block2.requires_grad_(True)
        opt.add_param_group({"params": new_model.block2.parameters(), "lr": 1e-3})
        print("unfroze block2; groups:", [(len(g["params"]), g["lr"], g["weight_decay"])
                                           for g in opt.param_groups])
    total, norm = finetune_step(step)
    if step % 10 == 0 or step == args.finetune_steps - 1:
        print(f"finetune step {step:3d} loss {total:.4f} grad norm {norm:.4f}")
print("block1 grad is None:", new_model.block1.fc.weight.grad is None)
print("block2 grad norm:", new_model.block2.fc.weight.grad.norm())

# clip_grad_norm_ with a non-finite gradient
new_model.head.weight.grad = torch.full_like(new_model.head.weight, float("inf"))
try:
    torch.nn.utils.clip_grad_norm_(new_model.head.parameters(), 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print("clip error:", str(e).split(".")[0])
print("clip no error:", torch.nn.utils.clip_grad_norm_(new_model.head.parameters(), 1.0))
new_model.zero_grad()

# ------------------------------------------------------------------ evaluation
new_model.eval()
with torch.no_grad():
    x, y = batch(500, 2)
    acc = (new_model(x).argmax(1) == y).float().mean()
print(f"eval accuracy {acc.item():.4f}")

# ------------------------------------------------------------------ parameter vectors
vec = parameters_to_vector(new_model.parameters())
print("vector:", vec.shape, vec.dtype, vec[:5])
print("vector norm:", vec.norm())
head_vec = parameters_to_vector(new_model.head.parameters())
vector_to_parameters(head_vec * 2, new_model.head.parameters())
print("head weight after x2:", new_model.head.weight[0, :4])
print("head bias after x2:", new_model.head.bias)

# ------------------------------------------------------------------ dtype round trips
x = torch.randn(4, IN)
with torch.no_grad():
    out32 = new_model(x)
    new_model.double()
    print("double:", new_model.block1.fc.weight.dtype, new_model(x.double()).dtype)
    out64 = new_model(x.double())
    new_model.half()
    print("half:", new_model.head.weight.dtype, new_model.block1.norm.weight.dtype)
    new_model.float()
    print("float:", new_model.head.weight.dtype)
    out_back = new_model(x)
print("double vs float max diff < 1e-5:", (out64.float() - out32).abs().max().item() < 1e-5)
print("after half round trip:", out_back)
print("half round-trip max diff < 1e-2:", (out_back - out32).abs().max().item() < 1e-2)

# ------------------------------------------------------------------ activation checkpointing
new_model.train()
new_model.requires_grad_(True)
x = torch.randn(8, IN, requires_grad=True)
h = torch.utils.checkpoint.checkpoint(new_model.block1, x, use_reentrant=False)
h = new_model.block2(h)
out = new_model.head(h).sum()
out.backward()
g_ckpt = new_model.block1.fc.weight.grad.clone()
gx_ckpt = x.grad.clone()
new_model.zero_grad()
x.grad = None
out = new_model.head(new_model.block2(new_model.block1(x))).sum()
out.backward()
print("checkpoint grads equal:", torch.allclose(g_ckpt, new_model.block1.fc.weight.grad),
      torch.allclose(gx_ckpt, x.grad))
print("checkpoint grad sample:", g_ckpt[0, :3])

# ------------------------------------------------------------------ pruning
try:
    import torch.nn.utils.prune as prune
except ImportError:
    prune = None
if prune is not None:
    layer = new_model.block2.fc
    prune.l1_unstructured(layer, name="weight", amount=0.3)
    print("pruned buffers:", [n for n, _ in layer.named_buffers()])
    print("pruned params:", [n for n, _ in layer.named_parameters()])
    print("is_pruned:", prune.is_pruned(new_model))
    print("sparsity:", float((layer.weight == 0).sum()) / layer.weight.numel())
    print("mask sum:", layer.weight_mask.sum())
    prune.remove(layer, "weight")
    print("after remove params:", [n for n, _ in layer.named_parameters()])
    print("after remove buffers:", [n for n, _ in layer.named_buffers()])
    print("zeros kept:", int((layer.weight == 0).sum()))
    prune.random_unstructured(new_model.head, name="bias", amount=0.5)
    print("head bias mask:", new_model.head.bias_mask)
    prune.ln_structured(new_model.block1.fc, name="weight", amount=0.25, n=2, dim=0)
    print("rows zeroed:", int((new_model.block1.fc.weight.abs().sum(1) == 0).sum()))
    parameters_to_prune = [(new_model.block1.fc, "bias"), (new_model.block2.fc, "bias")]
    prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured,
                              amount=10)
    print("global zeros:", int((new_model.block1.fc.bias == 0).sum() +
                                (new_model.block2.fc.bias == 0).sum()))
