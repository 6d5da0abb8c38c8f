"""A small VAE written with torch.distributions: the encoder gives q(z|x) = Normal(mu, sigma),
z = q.rsample(), the decoder gives Independent(Bernoulli/Normal(...), 1); the loss is the
negative ELBO with kl_divergence(q, p).sum(-1). Data: MNIST test images (--data) or a
synthetic set of blurred blobs."""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Independent, Normal, kl_divergence


def load_mnist(root, limit):
    path = os.path.join(root, "MNIST", "raw", "t10k-images-idx3-ubyte")
    with open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    images = torch.tensor(data.reshape(-1, 784)[:limit].astype(np.float32) / 255.0)
    return images


def synthetic(n, dim):
    centers = torch.rand(4, dim)
    idx = torch.randint(0, 4, (n,))
    return (centers[idx] + 0.05 * torch.randn(n, dim)).clamp(0, 1)


class VAE(nn.Module):
    def __init__(self, dim, hidden, latent):
        super().__init__()
        self.enc = nn.Linear(dim, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, dim)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return Normal(self.mu(h), torch.exp(0.5 * self.logvar(h)))

    def decode(self, z):
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z))))

    def forward(self, x):
        q = self.encode(x)
        z = q.rsample()
        return q, z, self.decode(z)


def main():
    parser = argparse.ArgumentParser(description="VAE with torch.distributions")
    parser.add_argument("--data", default=None, help="directory holding MNIST/raw")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=64, help="synthetic data dimension")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--latent", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    x_all = load_mnist(args.data, args.n) if args.data else synthetic(args.n, args.dim)
    dim = x_all.shape[1]
    model = VAE(dim, args.hidden, args.latent)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    prior = Normal(torch.zeros(args.latent), torch.ones(args.latent))
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(x_all.shape[0])
        total, total_kl = 0.0, 0.0
        for i in range(0, x_all.shape[0], args.batch_size):
            x = x_all[perm[i:i + args.batch_size]]
            q, z, x_mean = model(x)
            likelihood = Independent(Normal(x_mean, 0.1), 1)
            rec = -likelihood.log_prob(x)
            kl = kl_divergence(q, prior.expand(q.batch_shape)).sum(-1)
            loss = (rec + kl).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
            total_kl += kl.sum().item()
        print(f"====> Epoch: {epoch} Average loss: {total / x_all.shape[0]:.4f} "
              f"KL: {total_kl / x_all.shape[0]:.4f}")
    with torch.no_grad():
        q = model.encode(x_all[:4])
        print("posterior mean:", q.mean[:, :4])
        print("posterior stddev:", q.stddev[:, :4])
        z = prior.sample((4,))
        samples = model.decode(z)
        print("sample means:", samples.mean(1))
        print("log p(z) under prior:", Independent(prior, 1).log_prob(z))


if __name__ == "__main__":
    main()
