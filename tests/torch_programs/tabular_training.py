"""Tabular training on synthetic data, as the Dataset/DataLoader/MLP tutorials write it: a
classification task (3 classes, imbalanced, a WeightedRandomSampler) and a regression task,
each an nn.Sequential MLP with BatchNorm1d and Dropout, trained by Adam (weight decay,
amsgrad) under OneCycleLR or ReduceLROnPlateau, with early stopping on the validation loss
(copy.deepcopy of the best state_dict), a checkpoint {model, optimizer, epoch} saved with
torch.save to a temporary file and training resumed from it, accuracy, top-k accuracy and a
confusion matrix made with torch.bincount.

As the tutorials, plus the command line: --samples (default 2000), --epochs (default 20),
--batch-size (default 64), --patience (default 5), --seed (default 42).
"""
import argparse
import copy
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler, random_split

parser = argparse.ArgumentParser(description="tabular MLP training")
parser.add_argument("--samples", type=int, default=2000)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--patience", type=int, default=5)
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()

torch.manual_seed(args.seed)
NUM_FEATURES, NUM_CLASSES = 8, 3


class TabularDataset(Dataset):
    """Features x, a class label, and a regression target."""

    def __init__(self, n):
        self.x = torch.randn(n, NUM_FEATURES)
        w = torch.linspace(-1.0, 1.0, NUM_FEATURES)
        score = self.x @ w + 0.3 * torch.randn(n)
        # imbalanced classes: thresholds on the score
        self.labels = (score > 0.8).long() + (score > 1.6).long()
        noise = torch.rand(n) * 0.1
        self.targets = torch.sin(self.x[:, 0]) + 0.5 * self.x[:, 1] ** 2 + noise
        self.groups = torch.randint(0, 4, (n,))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return {"x": self.x[idx], "label": self.labels[idx], "target": self.targets[idx]}


def collate(batch):
    xs = torch.stack([item["x"] for item in batch])
    labels = torch.stack([item["label"] for item in batch])
    targets = torch.stack([item["target"] for item in batch]).unsqueeze(1)
    return xs, labels, targets


dataset = TabularDataset(args.samples)
print(f"dataset: {len(dataset)} samples, x {tuple(dataset.x.shape)}, "
      f"class counts {torch.bincount(dataset.labels).tolist()}")
print("group counts:", torch.bincount(dataset.groups, minlength=4))
print("first target values:", dataset.targets[:4])

n_val = len(dataset) // 5
n_train = len(dataset) - n_val
train_set, val_set = random_split(dataset, [n_train, n_val],
                                  generator=torch.Generator().manual_seed(args.seed))
print(f"train {len(train_set)}, val {len(val_set)}, first train indices {train_set.indices[:5]}")

train_labels = dataset.labels[train_set.indices]
class_counts = torch.bincount(train_labels, minlength=NUM_CLASSES).float()
class_weights = 1.0 / class_counts
sample_weights = class_weights[train_labels]
print("class weights:", class_weights)
sampler = WeightedRandomSampler(sample_weights, num_samples=len(sample_weights),
                                replacement=True)

sampled_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler,
                            collate_fn=collate)
shuffled_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                             drop_last=True, collate_fn=collate)
val_loader = DataLoader(val_set, batch_size=256, shuffle=False, collate_fn=collate)
print(f"batches: sampled {len(sampled_loader)}, shuffled {len(shuffled_loader)}, "
      f"val {len(val_loader)}")
xb, yb, tb = next(iter(sampled_loader))
print(f"a sampled batch: x {xb.shape}, labels {yb.dtype}, class counts "
      f"{torch.bincount(yb, minlength=NUM_CLASSES).tolist()}, targets {tuple(tb.shape)}")


def make_mlp(out_features, activation):
    # no bias before a BatchNorm: it would cancel it (and Adam would move it on rounding
    # noise alone)
    return nn.Sequential(
        nn.Linear(NUM_FEATURES, 64, bias=False),
        nn.BatchNorm1d(64),
        activation(),
        nn.Dropout(0.2),
        nn.Linear(64, 32, bias=False),
        nn.BatchNorm1d(32),
        activation(),
        nn.Dropout(p=0.1),
        nn.Linear(32, out_features),
    )


def confusion_matrix(y_true, y_pred, n):
    return torch.bincount(n * y_true + y_pred, minlength=n * n).reshape(n, n)


def topk_accuracy(logits, y, k):
    _, pred = logits.topk(k, dim=1, largest=True, sorted=True)
    correct = pred.eq(y.view(-1, 1).expand_as(pred))
    return correct.any(dim=1).float().sum().item() / y.size(0)


def evaluate_classifier(model):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    all_logits, all_y = [], []
    with torch.no_grad():
        for x, y, _ in val_loader:
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            pred = logits.argmax(dim=1)
            correct += pred.eq(y).sum().item()
            count += y.size(0)
            all_logits.append(logits)
            all_y.append(y)
    return total_loss / count, correct / count, torch.cat(all_logits), torch.cat(all_y)


# ------------------------------------------------------------ classification, OneCycleLR
print("=== classification ===")
clf = make_mlp(NUM_CLASSES, nn.LeakyReLU)
print(clf)
n_params = sum(p.numel() for p in clf.parameters())
print(f"parameters: {n_params}")
optimizer = torch.optim.Adam(clf.parameters(), lr=1e-3, weight_decay=1e-4, amsgrad=True)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, epochs=args.epochs,
                                                steps_per_epoch=len(sampled_loader))
best_loss, best_state, best_epoch, bad_epochs = float("inf"), None, -1, 0
for epoch in range(args.epochs):
    clf.train()
    running = 0.0
    for x, y, _ in sampled_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(clf(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item() * x.size(0)
    train_loss = running / len(sampled_loader.sampler)
    val_loss, val_acc, _, _ = evaluate_classifier(clf)
    print(f"epoch {epoch:2d} train_loss {train_loss:.4f} val_loss {val_loss:.4f} "
          f"val_acc {val_acc:.4f} lr {scheduler.get_last_lr()[0]:.6f}")
    if val_loss < best_loss:
        best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
        best_state = copy.deepcopy(clf.state_dict())
    else:
        bad_epochs += 1
        if bad_epochs >= args.patience:
            print(f"early stopping at epoch {epoch}")
            break

print(f"best epoch {best_epoch}, best val loss {best_loss:.4f}")
clf.load_state_dict(best_state)
val_loss, val_acc, logits, y_val = evaluate_classifier(clf)
pred = logits.argmax(1)
cm = confusion_matrix(y_val, pred, NUM_CLASSES)
print(f"restored: val_loss {val_loss:.4f} accuracy {val_acc:.4f}")
print("confusion matrix:")
print(cm)
per_class = cm.diag().float() / cm.sum(1).clamp(min=1).float()
print("per-class recall:", per_class)
print(f"top-1 {topk_accuracy(logits, y_val, 1):.4f} top-2 {topk_accuracy(logits, y_val, 2):.4f}")
probs = F.softmax(logits, dim=1)
print("mean probabilities:", probs.mean(0))
print("running mean of first BatchNorm:", clf[1].running_mean[:4])
print("num_batches_tracked:", clf[1].num_batches_tracked)

# ------------------------------------------------------------ checkpoint and resume
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "checkpoint.pt")
    torch.save({"model": clf.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": best_epoch}, path)
    checkpoint = torch.load(path)
print(f"checkpoint keys: {sorted(checkpoint)}, epoch {checkpoint['epoch']}")
print(f"optimizer state entries: {len(checkpoint['optimizer']['state'])}, "
      f"param_groups lr {checkpoint['optimizer']['param_groups'][0]['lr']:.6f}, "
      f"amsgrad {checkpoint['optimizer']['param_groups'][0]['amsgrad']}")
first_state = checkpoint["optimizer"]["state"][0]
print(f"state[0] keys: {sorted(first_state)}, step {first_state['step']}")
resumed = make_mlp(NUM_CLASSES, nn.LeakyReLU)
resumed.load_state_dict(checkpoint["model"])
res_opt = torch.optim.Adam(resumed.parameters(), lr=1e-3, weight_decay=1e-4, amsgrad=True)
res_opt.load_state_dict(checkpoint["optimizer"])
start_epoch = checkpoint["epoch"] + 1
resumed.train()
for epoch in range(start_epoch, start_epoch + 2):
    running = 0.0
    for x, y, _ in shuffled_loader:
        res_opt.zero_grad()
        loss = F.cross_entropy(resumed(x), y)
        loss.backward()
        res_opt.step()
        running += loss.item()
    print(f"resumed epoch {epoch}: mean loss {running / len(shuffled_loader):.4f}")
val_loss, val_acc, _, _ = evaluate_classifier(resumed)
print(f"after resuming: val_loss {val_loss:.4f} accuracy {val_acc:.4f}")

# ------------------------------------------------------------ regression, ReduceLROnPlateau
print("=== regression ===")
for activation in (nn.SiLU, nn.Mish):
    torch.manual_seed(args.seed)
    reg = make_mlp(1, activation)
    optimizer = torch.optim.Adam(reg.parameters(), lr=3e-3, weight_decay=1e-5)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                         patience=1)
    best_loss, best_state, bad_epochs = float("inf"), None, 0
    for epoch in range(args.epochs):
        reg.train()
        for x, _, t in shuffled_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(reg(x), t)
            loss.backward()
            optimizer.step()
        reg.eval()
        mse, huber, count = 0.0, 0.0, 0
        with torch.no_grad():
            for x, _, t in val_loader:
                out = reg(x)
                mse += F.mse_loss(out, t, reduction="sum").item()
                huber += F.smooth_l1_loss(out, t, reduction="sum", beta=0.5).item()
                count += t.size(0)
        mse, huber = mse / count, huber / count
        plateau.step(mse)
        print(f"{activation.__name__} epoch {epoch:2d} train_mse {loss.item():.4f} "
              f"val_mse {mse:.4f} val_smooth_l1 {huber:.4f} "
              f"lr {optimizer.param_groups[0]['lr']:.6f}")
        if mse < best_loss - 1e-4:
            best_loss, bad_epochs = mse, 0
            best_state = copy.deepcopy(reg.state_dict())
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print(f"early stopping at epoch {epoch}")
                break
    reg.load_state_dict(best_state)
    reg.eval()
    with torch.inference_mode():
        x, _, t = next(iter(val_loader))
        out = reg(x)
    print(f"{activation.__name__}: best val mse {best_loss:.4f}")
    print("predictions:", out[:4].squeeze(1))
    print("targets:    ", t[:4].squeeze(1))
    residual = (out - t).abs()
    print(f"max abs error {residual.max().item():.4f}, "
          f"within 0.5: {(residual < 0.5).sum().item()}/{t.numel()}")
