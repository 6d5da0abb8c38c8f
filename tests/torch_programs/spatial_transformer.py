"""torch's "Spatial Transformer Networks" tutorial (Ghassen Hamrouni): a localization network
regresses a 2x3 affine theta (initialised to the identity), ``F.affine_grid`` and
``F.grid_sample`` resample the input with it, and the tutorial's MNIST classifier (with
``nn.Dropout2d``) is trained with SGD on the result; test loss and accuracy each epoch, then
what the tutorial's visualize_stn shows, as numbers: theta and the transformed batch.

Flags to run it on the test split alone and briefly: --data (default .), --split (default
train), --train-size / --test-size (default: all), --epochs (default 20), --log-interval
(default 500), --functional-dropout (F.dropout2d in forward instead of nn.Dropout2d),
--no-visualize. (The learnt theta is chaotic: near-ties in max-pooling the resampled,
almost-constant background route the localization net's gradient by the last bit of a
convolution, so torch with mkldnn off already prints another theta after an epoch; the
losses stay within 1e-3.)
"""
from __future__ import print_function
import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self, functional_dropout=False):
        super(Net, self).__init__()
        self.functional_dropout = functional_dropout
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

        # Spatial transformer localization-network
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True)
        )

        # Regressor for the 3 * 2 affine matrix
        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 3 * 3, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2)
        )

        # Initialize the weights/bias with identity transformation
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    # Spatial transformer network forward function
    def stn(self, x, return_theta=False):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)

        grid = F.affine_grid(theta, x.size(), align_corners=False)
        x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
        if return_theta:
            return x, theta
        return x

    def forward(self, x):
        # transform the input
        x = self.stn(x)

        # Perform the usual forward pass
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        if self.functional_dropout:
            x = F.relu(F.max_pool2d(F.dropout2d(self.conv2(x), training=self.training), 2))
        else:
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)

        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    with torch.no_grad():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)

            # sum up batch loss
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            # get the index of the max log-probability
            pred = output.max(1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()

        test_loss /= len(test_loader.dataset)
        print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'
              .format(test_loss, correct, len(test_loader.dataset),
                      100. * correct / len(test_loader.dataset)))


def visualize_stn(model, device, test_loader):
    """The tutorial draws the input and the transformed batch side by side; we print them."""
    with torch.no_grad():
        data = next(iter(test_loader))[0].to(device)[:16]
        transformed, theta = model.stn(data, return_theta=True)
        print('theta[0]:', theta[0])
        print('mean |theta - identity|: {:.6f}'.format(
            (theta - torch.tensor([[1., 0., 0.], [0., 1., 0.]])).abs().mean().item()))
        print('input mean {:.5f} std {:.5f}'.format(data.mean().item(), data.std().item()))
        print('transformed mean {:.5f} std {:.5f}'.format(transformed.mean().item(),
                                                          transformed.std().item()))
        print('transformed[0] row 14:', transformed[0, 0, 14, 8:20])


def main():
    parser = argparse.ArgumentParser(description='Spatial Transformer Networks tutorial')
    parser.add_argument('--data', default='.', help='where MNIST is (default: .)')
    parser.add_argument('--split', choices=['train', 'test'], default='train')
    parser.add_argument('--train-size', type=int, default=None)
    parser.add_argument('--test-size', type=int, default=None)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--log-interval', type=int, default=500)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--functional-dropout', action='store_true')
    parser.add_argument('--visualize', action=argparse.BooleanOptionalAction, default=True,
                        help='print theta and the transformed batch after training')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))
    ])
    train_set = datasets.MNIST(root=args.data, train=args.split == 'train', download=True,
                               transform=transform)
    if args.train_size is not None:
        train_set = torch.utils.data.Subset(train_set, range(args.train_size))
    test_set = datasets.MNIST(root=args.data, train=False, transform=transform)
    if args.test_size is not None:
        test_set = torch.utils.data.Subset(test_set, range(len(test_set) - args.test_size,
                                                           len(test_set)))
    # Training dataset
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size,
                                               shuffle=True, num_workers=0)
    # Test dataset
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.batch_size,
                                              shuffle=True, num_workers=0)

    model = Net(args.functional_dropout).to(device)
    optimizer = optim.SGD(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)

    # Visualize the STN transformation on some input batch
    if args.visualize:
        visualize_stn(model, device, test_loader)


if __name__ == '__main__':
    main()
