"""Variable-length sequences the way torch users batch them: token sequences of random lengths
padded with nn.utils.rnn.pad_sequence, packed with pack_padded_sequence (enforce_sorted=False,
and True on a sorted batch) and unpacked with pad_packed_sequence(batch_first=True,
total_length=...); the PackedSequence's fields; a bidirectional 2-layer nn.LSTM (and nn.GRU)
classifier over nn.Embedding(padding_idx=0, max_norm=...) whose final states h_n / c_n feed a
Linear head; an LSTM with proj_size; nn.EmbeddingBag with offsets (mode 'mean' and 'sum' with
per_sample_weights); nn.RNNCell / LSTMCell / GRUCell unrolled by hand; training with Adam and
gradient clipping by value.

Command line: --steps (default 200), --print-every (default 20), --batch-size (default 16),
--vocab (default 50), --max-len (default 12), --hidden (default 32), --seed (default 0).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.nn.utils.rnn import pack_sequence

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--print-every", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--vocab", type=int, default=50)
parser.add_argument("--max-len", type=int, default=12)
parser.add_argument("--hidden", type=int, default=32)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)


def make_batch(batch_size):
    """Random token sequences (1..vocab-1, 0 is padding); label: is token 1..9 present more
    often than token vocab-9..vocab-1 (a task the model can learn)."""
    lengths = torch.randint(2, args.max_len + 1, (batch_size,))
    seqs = [torch.randint(1, args.vocab, (int(n),)) for n in lengths]
    labels = torch.tensor([int((s < 10).sum() > (s >= args.vocab - 9).sum()) for s in seqs])
    return seqs, lengths, labels


# ---------------------------------------------------------------- padding and packing
seqs, lengths, labels = make_batch(5)
print("lengths", lengths.tolist(), "labels", labels.tolist())
padded = pad_sequence(seqs, batch_first=True)
print(padded)
print(pad_sequence(seqs).shape, pad_sequence(seqs, padding_value=-1)[:, 0])

packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(type(packed).__name__)
print("data", packed.data)
print("batch_sizes", packed.batch_sizes)
print("sorted_indices", packed.sorted_indices)
print("unsorted_indices", packed.unsorted_indices)
unpacked, out_lengths = pad_packed_sequence(packed, batch_first=True, total_length=args.max_len + 2)
print(unpacked.shape, out_lengths)
print(torch.equal(unpacked[:, :padded.size(1)], padded))

order = torch.argsort(lengths, descending=True)
sorted_packed = pack_padded_sequence(padded[order].t(), lengths[order], enforce_sorted=True)
print("sorted batch_sizes", sorted_packed.batch_sizes, sorted_packed.sorted_indices)
seq_packed = pack_sequence(seqs, enforce_sorted=False)
print("pack_sequence", seq_packed.batch_sizes, seq_packed.sorted_indices)
back, back_lengths = pad_packed_sequence(sorted_packed)
print(back.shape, back_lengths)

try:
    pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=True)
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])

# ---------------------------------------------------------------- embeddings
emb = nn.Embedding(args.vocab, 8, padding_idx=0, max_norm=1.0)
e = emb(padded)
print("embedding", e.shape, e[0, -1].abs().sum().item())
print("row norms <= 1:", bool((emb.weight[padded.unique()].norm(dim=1) <= 1.0 + 1e-6).all()))
print("padding row", emb.weight[0].abs().sum().item())

bag_mean = nn.EmbeddingBag(args.vocab, 6, mode="mean")
bag_sum = nn.EmbeddingBag(args.vocab, 6, mode="sum")
flat = torch.cat(seqs)
offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
print("offsets", offsets)
m = bag_mean(flat, offsets)
print("bag mean", m.shape, m.sum(dim=1))
weights = torch.rand(flat.numel())
s = bag_sum(flat, offsets, per_sample_weights=weights)
print("bag sum", s)
s.sum().backward()
print("bag grad", bag_sum.weight.grad.sum().item(), bag_sum.weight.grad[flat[0]])
print("bag 2d", bag_mean(padded[:, :2]).shape)


# ---------------------------------------------------------------- a packed-sequence classifier
class Classifier(nn.Module):
    def __init__(self, vocab, emb_dim, hidden, cell="lstm"):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=0)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(emb_dim, hidden, num_layers=2, bidirectional=True, batch_first=True,
                       dropout=0.2)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, padded, lengths):
        embedded = self.embedding(padded)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        if self.cell == "lstm":
            packed_out, (h_n, c_n) = self.rnn(packed)
        else:
            packed_out, h_n = self.rnn(packed)
        # the last layer's forward and backward final states
        hidden = torch.cat((h_n[-2], h_n[-1]), dim=1)
        return self.fc(hidden), packed_out, h_n


for cell in ["lstm", "gru"]:
    torch.manual_seed(args.seed)
    model = Classifier(args.vocab, 16, args.hidden, cell)
    print(model)
    model.eval()
    logits, packed_out, h_n = model(padded, lengths)
    out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
    print(cell, "out", out.shape, out_lengths.tolist(), "h_n", h_n.shape)
    # the forward direction's last valid output equals h_n of the last layer
    last = out[torch.arange(out.size(0)), lengths - 1, :args.hidden]
    print("last == h_n[-2]:", torch.allclose(last, h_n[-2], atol=1e-6))
    print("first backward == h_n[-1]:", torch.allclose(out[:, 0, args.hidden:], h_n[-1], atol=1e-6))
    print("padded outputs zero:", out[lengths.argmin(), -1].abs().sum().item())
    print(logits)

    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(1, args.steps + 1):
        seqs_b, lengths_b, labels_b = make_batch(args.batch_size)
        logits, _, _ = model(pad_sequence(seqs_b, batch_first=True), lengths_b)
        loss = F.cross_entropy(logits, labels_b)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        optimizer.step()
        if step % args.print_every == 0:
            acc = (logits.argmax(1) == labels_b).float().mean()
            print(f"{cell} step {step:4d} loss {loss.item():.4f} acc {acc.item():.3f}")
    grads = {n: p.grad.abs().max().item() for n, p in model.named_parameters()}
    print("max |grad| <= 0.5:", max(grads.values()) <= 0.5)
    print("grad sums", ["%s %.5f" % (n, p.grad.sum().item()) for n, p in model.named_parameters()][:4])

# ---------------------------------------------------------------- LSTM with proj_size
torch.manual_seed(args.seed)
proj = nn.LSTM(8, 16, num_layers=2, proj_size=4, bidirectional=True)
print([(n, tuple(p.shape)) for n, p in proj.named_parameters()][:5])
x = pack_padded_sequence(torch.randn(args.max_len, 5, 8), lengths, enforce_sorted=False)
y, (h, c) = proj(x)
print("proj h_n", h.shape, "c_n", c.shape)
print(h[0])
print(c[-1].sum().item())
y, _ = pad_packed_sequence(y)
print(y.shape, y.sum().item())
(y.sum() + c.sum()).backward()
print("weight_hr_l0 grad", proj.weight_hr_l0.grad.sum().item())

# ---------------------------------------------------------------- cells unrolled by hand
torch.manual_seed(args.seed)
x = torch.randn(6, 3, 10)  # (time, batch, features)
rnn_cell = nn.RNNCell(10, 20, nonlinearity="tanh")
lstm_cell = nn.LSTMCell(10, 20)
gru_cell = nn.GRUCell(10, 20)
hx = torch.randn(3, 20)
h_r, (h_l, c_l), h_g = hx, (hx, torch.zeros(3, 20)), hx
outputs = []
for i in range(x.size(0)):
    h_r = rnn_cell(x[i], h_r)
    h_l, c_l = lstm_cell(x[i], (h_l, c_l))
    h_g = gru_cell(x[i], h_g)
    outputs.append(h_l)
outputs = torch.stack(outputs, dim=0)
print("rnn cell", h_r.sum().item(), "lstm cell", h_l.sum().item(), c_l.sum().item(),
      "gru cell", h_g.sum().item())
print(outputs.shape)
print(h_g[0, :5])
(h_r.sum() + outputs.pow(2).sum() + h_g.mean()).backward()
for name, cell in [("rnn", rnn_cell), ("lstm", lstm_cell), ("gru", gru_cell)]:
    print(name, [round(p.grad.sum().item(), 5) for p in cell.parameters()])
print("unbatched", gru_cell(x[0, 0]).shape, lstm_cell(x[0, 0])[1].shape)
relu_cell = nn.RNNCell(10, 4, nonlinearity="relu", bias=False)
print(relu_cell(x[0]))
