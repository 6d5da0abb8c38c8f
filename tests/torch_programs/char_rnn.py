"""A character-level recurrent language model on a list of names, as a torch user writes one:
nn.Embedding → nn.GRU (or nn.LSTM) → nn.Linear, padded batches with
nn.utils.rnn.pad_sequence and an ignored padding target, Adam with gradient clipping and a
cosine learning-rate schedule; then names sampled one character at a time from the hidden
state with torch.multinomial.

Command line: --names (default names.txt), --cell gru|lstm (default gru), --steps (default
2000), --print-every (default 200), --seed (default 1337).
"""
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

parser = argparse.ArgumentParser()
parser.add_argument("--names", default="names.txt")
parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--print-every", type=int, default=200)
parser.add_argument("--seed", type=int, default=1337)
args = parser.parse_args()
torch.manual_seed(args.seed)

words = open(args.names, "r").read().splitlines()
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(stoi)
random.seed(42)
random.shuffle(words)
print(len(words), vocab_size)


class CharRNN(nn.Module):
    def __init__(self, vocab_size, n_embd=24, n_hidden=64, cell="gru"):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, n_embd)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(n_embd, n_hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(n_hidden, vocab_size)

    def forward(self, idx, state=None):
        out, state = self.rnn(self.emb(idx), state)
        return self.head(out), state


def batch(size):
    picks = torch.randint(0, len(words), (size,)).tolist()
    seqs = [torch.tensor([0] + [stoi[c] for c in words[i]] + [0]) for i in picks]
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1)
    x = padded[:, :-1].clamp(min=0)
    y = padded[:, 1:]
    return x, y


model = CharRNN(vocab_size, cell=args.cell)
print(sum(p.numel() for p in model.parameters()))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps, eta_min=3e-4)
for step in range(args.steps):
    x, y = batch(32)
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1), ignore_index=-1)
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    if step % args.print_every == 0 or step == args.steps - 1:
        print(f"step {step:5d} loss {loss.item():.4f} grad norm {norm.item():.4f} "
              f"lr {sched.get_last_lr()[0]:.6f}")

model.eval()
g = torch.Generator().manual_seed(2147483647)
with torch.no_grad():
    for _ in range(10):
        out, state, ix = [], None, torch.tensor([[0]])
        while True:
            logits, state = model(ix, state)
            probs = F.softmax(logits[:, -1], dim=-1)
            ix = torch.multinomial(probs, num_samples=1, generator=g)
            if ix.item() == 0 or len(out) > 20:
                break
            out.append(itos[ix.item()])
        print("".join(out))
