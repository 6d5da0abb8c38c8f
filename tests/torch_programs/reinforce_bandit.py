"""REINFORCE on a contextual bandit: a policy network picks one of K arms from a context
vector; the reward is noisy and depends on the (hidden) best arm for that context. Categorical
policy, log-prob gradient, an entropy bonus, a running-mean baseline, Adam."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical


class Policy(nn.Module):
    def __init__(self, n_features, n_arms, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(n_features, hidden)
        self.fc2 = nn.Linear(hidden, n_arms)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def main():
    parser = argparse.ArgumentParser(description="REINFORCE contextual bandit")
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--arms", type=int, default=5)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--entropy-coef", type=float, default=0.01)
    parser.add_argument("--log-interval", type=int, default=200)
    parser.add_argument("--seed", type=int, default=543)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    true_weights = torch.randn(args.features, args.arms)      # hidden environment
    policy = Policy(args.features, args.arms)
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)
    baseline = 0.0
    running = []
    for episode in range(1, args.episodes + 1):
        context = torch.randn(args.batch, args.features)
        logits = policy(context)
        dist = Categorical(logits=logits)
        action = dist.sample()
        expected = context @ true_weights
        reward = expected.gather(1, action.unsqueeze(1)).squeeze(1) \
            + 0.1 * torch.randn(args.batch)
        advantage = reward - baseline
        loss = -(dist.log_prob(action) * advantage).mean() \
            - args.entropy_coef * dist.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        baseline = 0.9 * baseline + 0.1 * reward.mean().item()
        running.append(reward.mean().item())
        if episode % args.log_interval == 0:
            best = expected.max(1).values.mean().item()
            print(f"Episode {episode}\tAverage reward: {sum(running) / len(running):.4f}"
                  f"\tBest possible: {best:.4f}\tEntropy: {dist.entropy().mean().item():.4f}")
            running = []
    probs = dist.probs[:2]
    print("final probs:", probs.detach())


if __name__ == "__main__":
    main()
