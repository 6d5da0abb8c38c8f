"""A tiny Vision Transformer on MNIST, written the way the ViT-from-scratch tutorials (and
timm's VisionTransformer) write it: a Conv2d patch embedding with stride = patch size,
``flatten(2).transpose(1, 2)``, a class token ``nn.Parameter(torch.zeros(1, 1, d))`` expanded
over the batch, learned position embeddings initialised with ``trunc_normal_(std=.02)``,
pre-norm ``nn.TransformerEncoderLayer(batch_first=True, norm_first=True, activation='gelu')``
blocks, and AdamW + CosineAnnealingLR with label smoothing. ``--block mha`` swaps the encoder
layers for a hand-written pre-norm block around ``nn.MultiheadAttention`` that returns
per-head attention maps (``need_weights=True, average_attn_weights=False``), whose statistics
are printed after training.

MNIST is read as torchvision's datasets.MNIST reads it (--data: a directory holding
MNIST/raw/t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte); the first --n-train test images
train, the next --n-test evaluate.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


class PatchEmbed(nn.Module):
    """Image to Patch Embedding"""
    def __init__(self, img_size=28, patch_size=7, in_chans=1, embed_dim=64):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        x = self.proj(x)                       # B, D, H/P, W/P
        return x.flatten(2).transpose(1, 2)    # B, N, D


class Block(nn.Module):
    """A pre-norm transformer block around nn.MultiheadAttention, keeping its attention maps."""
    def __init__(self, dim, num_heads, mlp_ratio=2.0, drop=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, dropout=drop, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop),
                                 nn.Linear(hidden, dim), nn.Dropout(drop))
        self.attn_weights = None

    def forward(self, x):
        h = self.norm1(x)
        out, weights = self.attn(h, h, h, need_weights=True, average_attn_weights=False)
        self.attn_weights = weights.detach()
        x = x + out
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, img_size=28, patch_size=7, num_classes=10, embed_dim=64, depth=4,
                 num_heads=4, mlp_ratio=2.0, drop_rate=0.1, block="encoder"):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, 1, embed_dim)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(p=drop_rate)
        if block == "encoder":
            layer = nn.TransformerEncoderLayer(embed_dim, num_heads,
                                               dim_feedforward=int(embed_dim * mlp_ratio),
                                               dropout=drop_rate, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        else:
            self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio, drop_rate)
                                          for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)

        nn.init.trunc_normal_(self.pos_embed, std=.02)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward(self, x):
        B = x.shape[0]
        x = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


def main():
    parser = argparse.ArgumentParser(description="tiny ViT on MNIST")
    parser.add_argument("--data", default="../data")
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--patch-size", type=int, default=7)
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--block", choices=["encoder", "mha"], default="encoder")
    parser.add_argument("--log-interval", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    raw = os.path.join(args.data, "MNIST", "raw")
    images = read_idx(os.path.join(raw, "t10k-images-idx3-ubyte"))
    labels = read_idx(os.path.join(raw, "t10k-labels-idx1-ubyte")).long()
    x = images.float().div(255).sub(0.1307).div(0.3081).unsqueeze(1)
    n = args.n_train
    train_set = TensorDataset(x[:n], labels[:n])
    test_set = TensorDataset(x[n:n + args.n_test], labels[n:n + args.n_test])
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = ViT(patch_size=args.patch_size, embed_dim=args.embed_dim, depth=args.depth,
                num_heads=args.heads, drop_rate=args.dropout, block=args.block)
    print(f"number of params: {sum(p.numel() for p in model.parameters() if p.requires_grad)}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr,
                                  weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs * len(train_loader))
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, correct, running = 0, 0, 0.0
        for images_b, labels_b in train_loader:
            logits = model(images_b)
            loss = criterion(logits, labels_b)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item() * labels_b.size(0)
            correct += (logits.argmax(1) == labels_b).sum().item()
            total += labels_b.size(0)
            if step % args.log_interval == 0:
                print(f"step {step:4d} | loss {loss.item():.4f} | "
                      f"lr {scheduler.get_last_lr()[0]:.6f}")
            step += 1
        model.eval()
        test_correct, test_loss = 0, 0.0
        with torch.no_grad():
            for images_b, labels_b in test_loader:
                logits = model(images_b)
                test_loss += F.cross_entropy(logits, labels_b, reduction="sum").item()
                test_correct += (logits.argmax(dim=-1) == labels_b).sum().item()
        print(f"epoch {epoch} | train loss {running / total:.4f} acc {100. * correct / total:.2f}% "
              f"| test loss {test_loss / len(test_set):.4f} "
              f"acc {100. * test_correct / len(test_set):.2f}%")

    if args.block == "mha":
        with torch.no_grad():
            model(x[:4])
        for i, blk in enumerate(model.blocks):
            w = blk.attn_weights                       # (B, heads, tokens, tokens)
            sums = w.sum(dim=-1)
            entropy = -(w * w.clamp_min(1e-12).log()).sum(-1).mean(dim=(0, 2))
            print(f"block {i}: weights {tuple(w.shape)} row sums in "
                  f"[{sums.min().item():.5f}, {sums.max().item():.5f}], "
                  f"cls attends to itself {w[:, :, 0, 0].mean().item():.4f}, "
                  f"entropy per head {[round(e, 4) for e in entropy.tolist()]}")
        print("cls attention of image 0, head 0:", blk.attn_weights[0, 0, 0, 1:].view(28 // args.patch_size, -1))


if __name__ == "__main__":
    main()
