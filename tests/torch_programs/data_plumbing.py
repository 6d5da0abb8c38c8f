"""Data plumbing with torch.utils.data, as training scripts write it: map-style and iterable
datasets (get_worker_info), ConcatDataset, Subset, ChainDataset, random_split with fractions,
default_collate of dicts / tuples / namedtuples / numpy arrays / numbers / strings, a DataLoader
with a SubsetRandomSampler, one with a BatchSampler over a SequentialSampler, drop_last, a
seeded generator for shuffling, a custom collate_fn that pads with pad_sequence, len() of the
loaders, TensorDataset indexing and slicing; the batches are printed.

Command line: --samples (default 20), --batch-size (default 4), --seed (default 0).
"""
import argparse
from collections import namedtuple

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                              IterableDataset, RandomSampler, SequentialSampler, Subset,
                              SubsetRandomSampler, TensorDataset, get_worker_info,
                              random_split)
from torch.utils.data.dataloader import default_collate

parser = argparse.ArgumentParser(description="torch.utils.data plumbing")
parser.add_argument("--samples", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
N, B = args.samples, args.batch_size

# ------------------------------------------------------------------ TensorDataset
xs = torch.randn(N, 3)
ys = torch.randint(0, 2, (N,))
ds = TensorDataset(xs, ys)
print("len:", len(ds))
print("ds[0]:", ds[0])
print("ds[2:4]:", ds[2:4])
print("ds[tensor]:", ds[torch.tensor([1, 3])][1])
print("tensors:", len(ds.tensors), ds.tensors[1][:5])
try:
    TensorDataset(xs, ys[:-1])
except AssertionError as e:
    print("size mismatch:", e)


class Squares(Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        v = i + self.offset
        return {"x": torch.tensor([float(v), float(v * v)]), "y": v % 3, "name": f"s{v}"}


a, b = Squares(5), Squares(4, offset=100)
cat = ConcatDataset([a, b])
print("concat len:", len(cat), "cumulative:", cat.cumulative_sizes)
print("concat[5]:", cat[5])
print("concat[-1]:", cat[-1]["name"])
print("sum of datasets:", len(a + b))
sub = Subset(cat, [0, 6, 8])
print("subset:", len(sub), [sub[i]["name"] for i in range(len(sub))])

# ------------------------------------------------------------------ random_split
g = torch.Generator().manual_seed(42)
train, val, test = random_split(range(N), [0.6, 0.2, 0.2], generator=g)
print("split sizes:", len(train), len(val), len(test))
print("train indices:", list(train))
print("val indices:", list(val))
parts = random_split(range(10), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(1))
print("uneven:", [len(p) for p in parts], [list(p) for p in parts])
parts = random_split(range(7), [0.5, 0.5], generator=torch.Generator().manual_seed(2))
print("rounding:", [list(p) for p in parts])
try:
    random_split(range(10), [5, 6])
except ValueError as e:
    print("bad split:", e)

# ------------------------------------------------------------------ default_collate
Point = namedtuple("Point", ["x", "y"])
print("ints:", default_collate([1, 2, 3]))
print("floats:", default_collate([1.5, 2.5]))
print("bools:", default_collate([True, False]))
print("strings:", default_collate(["a", "b"]))
print("tuples:", default_collate([(1, 2.0), (3, 4.0)]))
print("namedtuples:", default_collate([Point(1, 2), Point(3, 4)]))
print("dicts:", default_collate([a[0], a[1]]))
print("numpy:", default_collate([np.array([1.0, 2.0]), np.array([3.0, 4.0])]))
print("numpy ints:", default_collate([np.int64(3), np.int64(4)]))
print("numpy f32 scalars:", default_collate([np.float32(0.5), np.float32(1.5)]))
print("nested:", default_collate([{"a": (1, torch.zeros(2))}, {"a": (2, torch.ones(2))}]))
print("lists:", default_collate([[1, 2], [3, 4]]))
try:
    default_collate([object(), object()])
except TypeError as e:
    print("collate error:", str(e)[:60])

# ------------------------------------------------------------------ samplers
loader = DataLoader(ds, batch_size=B, sampler=SubsetRandomSampler(range(0, N, 2)))
print("subset-sampler loader len:", len(loader))
for xb, yb in loader:
    print("  ", tuple(xb.shape), yb)
bs = BatchSampler(SequentialSampler(range(N)), batch_size=3, drop_last=False)
print("batch sampler:", list(bs), len(bs))
bs = BatchSampler(SequentialSampler(range(N)), batch_size=3, drop_last=True)
print("drop_last:", len(bs), list(bs)[-1])
loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), batch_size=6,
                                                   drop_last=False))
print("batch_sampler loader len:", len(loader), [len(yb) for _, yb in loader])
print("random sampler:", list(RandomSampler(range(8), generator=torch.Generator().manual_seed(3))))
print("random replacement:", list(RandomSampler(range(8), replacement=True, num_samples=5,
                                                generator=torch.Generator().manual_seed(3))))

loader = DataLoader(ds, batch_size=B, shuffle=True, drop_last=True,
                    generator=torch.Generator().manual_seed(args.seed))
print("shuffled loader len:", len(loader))
for epoch in range(2):
    print(f"epoch {epoch}:", [yb.tolist() for _, yb in loader])
loader = DataLoader(ds, batch_size=B * 2 - 1, shuffle=False, drop_last=False)
print("tail batch sizes:", [len(yb) for _, yb in loader], "len", len(loader))
loader = DataLoader(ds, batch_size=None)
print("batch_size=None:", next(iter(loader)))

# ------------------------------------------------------------------ pad_sequence collate
class Sentences(Dataset):
    def __init__(self, n):
        self.lengths = torch.randint(1, 6, (n,))
        self.data = [torch.randint(1, 50, (int(k),)) for k in self.lengths]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i], int(self.lengths[i])


def pad_collate(batch):
    seqs, lengths = zip(*batch)
    padded = pad_sequence(seqs, batch_first=True, padding_value=0)
    return padded, torch.tensor(lengths)


sent = Sentences(N)
loader = DataLoader(sent, batch_size=B, shuffle=True, collate_fn=pad_collate,
                    generator=torch.Generator().manual_seed(7))
for i, (padded, lengths) in enumerate(loader):
    if i < 2:
        print("padded:", padded, "lengths:", lengths)
print("pad time-major:", pad_sequence([torch.ones(2), torch.ones(3) * 2]).shape)

# ------------------------------------------------------------------ iterable datasets
class Stream(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = (self.end - self.start) // info.num_workers
            lo = self.start + info.id * per
            hi = lo + per
        return iter(range(lo, hi))


print("worker info in main:", get_worker_info())
stream = Stream(3, 10)
print("stream loader:", [b.tolist() for b in DataLoader(stream, batch_size=3, num_workers=0)])
print("stream drop_last:", [b.tolist() for b in DataLoader(stream, batch_size=3, drop_last=True)])
chain = ChainDataset([Stream(0, 3), Stream(10, 12)])
print("chain:", list(chain))
print("chain+:", list(Stream(0, 2) + Stream(5, 6)))
print("stream loader batch None:", list(DataLoader(Stream(0, 3), batch_size=None)))
try:
    DataLoader(stream, shuffle=True)
except ValueError as e:
    print("iterable shuffle:", e)
try:
    len(DataLoader(Stream(0, 3)))
except TypeError as e:
    print("len of stream loader:", e)

# ------------------------------------------------------------------ dict batches
loader = DataLoader(cat, batch_size=4, shuffle=False)
for batch in loader:
    print("dict batch:", batch["x"].tolist(), batch["y"], batch["name"])
