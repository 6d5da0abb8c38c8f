"""pytorch/examples' vae/main.py (Kingma & Welling's VAE: fc 784-400-20, reparameterize with
``torch.randn_like``, BCE summed + KLD, Adam lr 1e-3), on MNIST read straight from the raw idx
files (torchvision is not at hand): gzip/numpy -> ``torch.from_numpy``, a ``TensorDataset`` and
a shuffling ``DataLoader``. Instead of saving the reconstruction and sample images it prints a
few numbers of each.

As the example, plus four flags to run it briefly: --data (a folder holding MNIST/raw/
t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, torchvision's layout, or the .gz files
themselves; default ../data), --train-size / --test-size (default: all 10,000 images of the
test split, the only one we read; training takes the first, testing the last), --max-batches
(default: all).
"""
from __future__ import print_function
import argparse
import gzip
import os

import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


parser = argparse.ArgumentParser(description='VAE MNIST Example')
parser.add_argument('--batch-size', type=int, default=128, metavar='N',
                    help='input batch size for training (default: 128)')
parser.add_argument('--epochs', type=int, default=10, metavar='N',
                    help='number of epochs to train (default: 10)')
parser.add_argument('--no-cuda', action='store_true', default=False,
                    help='disables CUDA training')
parser.add_argument('--seed', type=int, default=1, metavar='S',
                    help='random seed (default: 1)')
parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                    help='how many batches to wait before logging training status')
parser.add_argument('--data', default='../data', help='where MNIST is (default: ../data)')
parser.add_argument('--train-size', type=int, default=10000)
parser.add_argument('--test-size', type=int, default=10000)
parser.add_argument('--max-batches', type=int, default=None,
                    help='stop each epoch after this many batches (default: all)')
args = parser.parse_args()
args.cuda = not args.no_cuda and torch.cuda.is_available()

torch.manual_seed(args.seed)

device = torch.device("cuda" if args.cuda else "cpu")


def read_idx(root, name, offset):
    """The bytes of an idx file after its header, from torchvision's folder or a .gz."""
    raw = os.path.join(root, 'MNIST', 'raw', name)
    if os.path.exists(raw):
        with open(raw, 'rb') as f:
            data = f.read()
    else:
        with gzip.open(os.path.join(root, name + '.gz'), 'rb') as f:
            data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


images = torch.from_numpy(read_idx(args.data, 't10k-images-idx3-ubyte', 16).copy())
images = images.view(-1, 1, 28, 28).float() / 255.   # transforms.ToTensor()
labels = torch.from_numpy(read_idx(args.data, 't10k-labels-idx1-ubyte', 8).astype(np.int64))
print('images', tuple(images.shape), images.dtype, 'labels', tuple(labels.shape), labels.dtype)

kwargs = {'num_workers': 1, 'pin_memory': True} if args.cuda else {}
train_set = TensorDataset(images[:args.train_size], labels[:args.train_size])
test_set = TensorDataset(images[-args.test_size:], labels[-args.test_size:])
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, **kwargs)
test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False, **kwargs)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5*logvar)
        eps = torch.randn_like(std)
        return mu + eps*std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
print(model)
print('parameters:', sum(p.numel() for p in model.parameters() if p.requires_grad))


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(epoch):
    model.train()
    train_loss = 0
    seen = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        if args.max_batches is not None and batch_idx >= args.max_batches:
            break
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        seen += len(data)
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item() / len(data)))

    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / seen))


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                        recon_batch.view(data.size(0), 1, 28, 28)[:n]])
                print('comparison', tuple(comparison.shape),
                      'mean {:.4f}'.format(comparison.mean().item()),
                      'abs err {:.4f}'.format((comparison[:n] - comparison[n:]).abs().mean()))

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss: {:.4f}'.format(test_loss))


if __name__ == "__main__":
    for epoch in range(1, args.epochs + 1):
        train(epoch)
        test(epoch)
        with torch.no_grad():
            sample = torch.randn(64, 20).to(device)
            sample = model.decode(sample).cpu()
            sample = sample.view(64, 1, 28, 28)
            print('sample', tuple(sample.shape), sample.dtype,
                  'mean {:.4f} std {:.4f} min {:.4f} max {:.4f}'.format(
                      sample.mean().item(), sample.std().item(),
                      sample.min().item(), sample.max().item()))
            print('sample[0, 0, 14, 10:16]', [round(v, 4) for v in sample[0, 0, 14, 10:16].tolist()])
            print(sample[1, 0, 12:14, 12:16])
