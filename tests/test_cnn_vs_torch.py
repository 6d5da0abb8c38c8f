"""The tutorial CNN, step for step against torch: same weights, same 20 batches of real MNIST
test images, dropout off, SGD(lr=0.01, momentum=0.9). Losses at every step and every parameter
at the end must agree within 1e-4 (relative)."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd.data import MNIST
from tinygrad_sgd.models import SimpleCNN
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.optim import SGD

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from torch_reference import TorchCNN  # noqa: E402  (benchmarks/ holds the torch twin)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def mnist_test():
    root = SHARED if (SHARED / "mnist").is_dir() else None
    try:
        return MNIST(root=root, train=False, download=False)
    except FileNotFoundError as e:  # pragma: no cover - the data ships beside the repo
        pytest.skip(f"MNIST test split not found: {e}")


def _twins(seed=0):
    torch.manual_seed(seed)
    theirs = TorchCNN()
    ours = SimpleCNN()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("batch_size", [64])
def test_twenty_sgd_steps_match_torch(mnist_test, batch_size):
    ours, theirs = _twins()
    ours.eval()          # dropout off on both sides: the comparison is deterministic
    theirs.eval()
    opt = SGD(ours.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    losses, tlosses = [], []
    for step in range(20):
        x, y = mnist_test[np.arange(step * batch_size, (step + 1) * batch_size)]
        opt.zero_grad()
        loss = F.nll_loss(ours(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = TF.nll_loss(theirs(torch.tensor(x)), torch.tensor(y))
        tloss.backward()
        topt.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
        np.testing.assert_allclose(losses[-1], tlosses[-1], rtol=1e-4,
                                   err_msg=f"loss differs at step {step}")
    assert losses[-1] < losses[0]           # it is really learning
    theirs_sd = theirs.state_dict()
    for name, p in ours.named_parameters():
        ref = theirs_sd[name].numpy()
        scale = np.abs(ref).max()
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-4, atol=1e-4 * scale,
                                   err_msg=f"parameter {name} differs after 20 steps")


def test_one_step_gradients_match_torch_exactly(mnist_test):
    """Before any update: every parameter's gradient agrees with torch's (MNIST has many
    tied maxima in its black background, so max-pool must pick the first one as torch does)."""
    ours, theirs = _twins(seed=1)
    ours.eval()
    theirs.eval()
    x, y = mnist_test[np.arange(256)]
    F.nll_loss(ours(tg.tensor(x)), tg.tensor(y)).backward()
    TF.nll_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    for name, p in ours.named_parameters():
        ref = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), ref, rtol=1e-4,
                                   atol=1e-5 * np.abs(ref).max(),
                                   err_msg=f"gradient of {name}")


def test_state_dict_keys_and_shapes_match_torch():
    ours, theirs = _twins()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in ours.state_dict().items():
        assert tuple(np.shape(v)) == tuple(theirs.state_dict()[k].shape)


def test_training_mode_dropout_changes_outputs_and_eval_is_deterministic(mnist_test):
    ours, _ = _twins()
    x = tg.tensor(mnist_test[np.arange(8)][0])
    ours.train()
    a, b = ours(x).numpy(), ours(x).numpy()
    assert not np.allclose(a, b)            # dropout draws a new mask each call
    ours.eval()
    np.testing.assert_array_equal(ours(x).numpy(), ours(x).numpy())
