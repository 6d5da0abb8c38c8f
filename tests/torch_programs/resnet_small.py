"""A small ResNet as kuangliu/pytorch-cifar writes one (BasicBlock: 3x3 Conv2d without bias +
BatchNorm2d + ReLU, twice, and a 1x1 conv + BatchNorm2d shortcut where the shape changes;
AdaptiveAvgPool2d, Flatten, Linear), initialised as torchvision's resnet.py (kaiming_normal_
fan_out for convolutions, constant 1/0 for the norms), trained as the CIFAR recipes train it:
SGD with Nesterov momentum 0.9 and weight decay 5e-4, MultiStepLR (or StepLR), label-smoothed
cross-entropy; model.train()/model.eval(), evaluation under torch.no_grad() with accuracy by
argmax and per-class accuracy and a confusion matrix by torch.bincount.

Data: MNIST images (the test split, read from the raw idx files, since torchvision is not at
hand), padded to 32x32 and normalised by hand, with random-crop and flip augmentation by hand.

Command line: --data (folder with MNIST/raw/t10k-*-ubyte, torchvision's layout, or the .gz
files; default ../data), --train-size (default 8000), --test-size (default 2000), --epochs
(default 30), --batch-size (default 128), --lr (default 0.1), --width (default 16: channels of
the first stage), --scheduler (multistep, the default, or step), --print-every (default 20).
"""
import argparse
import gzip
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import MultiStepLR, StepLR

parser = argparse.ArgumentParser(description='small ResNet on MNIST')
parser.add_argument('--data', default='../data')
parser.add_argument('--train-size', type=int, default=8000)
parser.add_argument('--test-size', type=int, default=2000)
parser.add_argument('--epochs', type=int, default=30)
parser.add_argument('--batch-size', type=int, default=128)
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--width', type=int, default=16)
parser.add_argument('--scheduler', choices=['multistep', 'step'], default='multistep')
parser.add_argument('--print-every', type=int, default=20)
parser.add_argument('--seed', type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = 'cuda' if torch.cuda.is_available() else 'cpu'


def load(root, name, header):
    path = os.path.join(root, 'MNIST', 'raw', name)
    if os.path.exists(path):
        with open(path, 'rb') as f:
            data = f.read()
    else:
        with gzip.open(os.path.join(root, name + '.gz'), 'rb') as f:
            data = f.read()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=header)


X = load(args.data, 't10k-images-idx3-ubyte', 16).reshape(-1, 1, 28, 28)
Y = load(args.data, 't10k-labels-idx1-ubyte', 8).long()
X = F.pad(X.float().div(255), (2, 2, 2, 2))          # 32x32, as CIFAR
Xtr, Ytr = X[:args.train_size], Y[:args.train_size]
Xte, Yte = X[-args.test_size:], Y[-args.test_size:]
mean, std = Xtr.mean(), Xtr.std()
print(f'train {tuple(Xtr.shape)} test {tuple(Xte.shape)} mean {mean:.4f} std {std:.4f}')
Xtr = (Xtr - mean) / std
Xte = (Xte - mean) / std
print('train labels', torch.bincount(Ytr, minlength=10).tolist())


def augment(x):
    """RandomCrop(32, padding=4) and RandomHorizontalFlip, by hand, for a batch."""
    n = x.size(0)
    padded = F.pad(x, (4, 4, 4, 4))
    i, j = torch.randint(0, 9, (2,)).tolist()
    x = padded[:, :, i:i + 32, j:j + 32]
    flip = torch.rand(n) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    return x


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                          bias=False),
                nn.BatchNorm2d(self.expansion * planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10, width=16):
        super(ResNet, self).__init__()
        self.in_planes = width

        self.conv1 = nn.Conv2d(1, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, num_blocks[2], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(4 * width * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.avgpool(out)
        out = self.flatten(out)
        out = self.linear(out)
        return out


def ResNet8(width):
    return ResNet(BasicBlock, [1, 1, 1], width=width)


net = ResNet8(args.width).to(device)
print(net.layer2)
n_params = sum(p.numel() for p in net.parameters())
print('parameters', n_params, 'trainable', sum(p.numel() for p in net.parameters()
                                               if p.requires_grad))
print('buffers', [name for name, _ in net.named_buffers()][:6])

criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4,
                      nesterov=True)
if args.scheduler == 'multistep':
    scheduler = MultiStepLR(optimizer, milestones=[args.epochs // 2, args.epochs * 3 // 4],
                            gamma=0.1)
else:
    scheduler = StepLR(optimizer, step_size=max(1, args.epochs // 3), gamma=0.1)


def train(epoch):
    net.train()
    train_loss = 0
    correct = 0
    total = 0
    perm = torch.randperm(Xtr.size(0))
    n_batches = (Xtr.size(0) + args.batch_size - 1) // args.batch_size
    for batch_idx in range(n_batches):
        idx = perm[batch_idx * args.batch_size:(batch_idx + 1) * args.batch_size]
        inputs, targets = augment(Xtr[idx]).to(device), Ytr[idx].to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()

        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
        if batch_idx % args.print_every == 0:
            print('epoch %d [%d/%d] Loss: %.3f | Acc: %.3f%% (%d/%d)'
                  % (epoch, batch_idx, n_batches, train_loss / (batch_idx + 1),
                     100. * correct / total, correct, total))


def test(epoch):
    net.eval()
    test_loss = 0
    preds = []
    with torch.no_grad():
        for start in range(0, Xte.size(0), 500):
            inputs = Xte[start:start + 500].to(device)
            targets = Yte[start:start + 500].to(device)
            outputs = net(inputs)
            test_loss += criterion(outputs, targets).item() * targets.size(0)
            preds.append(outputs.argmax(dim=1))
    pred = torch.cat(preds)
    correct = pred == Yte
    acc = correct.float().mean().item()
    print('Test epoch %d: loss %.4f acc %.2f%% (%d/%d) lr %s' % (
        epoch, test_loss / Xte.size(0), 100. * acc, correct.sum().item(), Xte.size(0),
        scheduler.get_last_lr()))
    return pred


for epoch in range(args.epochs):
    train(epoch)
    pred = test(epoch)
    scheduler.step()

bn = net.bn1
print('bn1.running_mean', bn.running_mean)
print('bn1.running_var', bn.running_var[:4])
print('bn1.num_batches_tracked', bn.num_batches_tracked)
print('layer3 shortcut bn mean {:.4f}'.format(net.layer3[0].shortcut[1].running_mean.mean()))
print('state_dict keys', len(net.state_dict()))
for k in list(net.state_dict().keys())[:12]:
    print(' ', k, tuple(net.state_dict()[k].shape), net.state_dict()[k].dtype)

per_class = torch.bincount(Yte[pred == Yte], minlength=10).float() / torch.bincount(
    Yte, minlength=10).float()
print('per-class accuracy', [round(a, 3) for a in per_class.tolist()])
confusion = torch.bincount(Yte * 10 + pred, minlength=100).reshape(10, 10)
print(confusion)
print('lr', optimizer.param_groups[0]['lr'], 'scheduler', scheduler.state_dict()['last_epoch'])
