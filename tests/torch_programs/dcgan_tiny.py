"""pytorch/examples' dcgan/main.py (Radford et al.), shrunk for 16x16 MNIST digits: a Generator of
ConvTranspose2d + BatchNorm2d + ReLU ending in Tanh, a Discriminator of Conv2d + LeakyReLU(0.2) +
BatchNorm2d ending in Sigmoid, ``weights_init`` applied with ``model.apply`` (normal_(0, 0.02) on
the convolutions, normal_(1, 0.02)/zeros on the norms, chosen by class name), BCELoss, two Adam
optimizers with betas=(0.5, 0.999), a fixed noise batch, ``.detach()`` of the fakes, labels made
with ``torch.full(..., dtype=torch.float)`` — and the example's log line with Loss_D, Loss_G,
D(x), D(G(z)).

Data: MNIST images (the test split, read from the raw idx files as torchvision is not at hand),
shrunk to 16x16 as transforms.Resize does (F.interpolate, bilinear, antialias=True), or padded
to 32x32 with --image-size 32, and scaled to [-1, 1] as Normalize((0.5,), (0.5,)) does.

Command line as the example (--batch-size 64, --nz 100, --ngf 64, --ndf 64, --niter 25,
--lr 0.0002, --beta1 0.5, --manual-seed 999 as the DCGAN tutorial), plus --data (folder with
MNIST/raw/t10k-*-ubyte, torchvision's layout, or the .gz files; default ../data), --image-size
(16, the default, or 32), --max-images (default: all 10,000), --max-batches (default: all),
--log-interval (default 50).
"""
from __future__ import print_function
import argparse
import gzip
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torch.utils.data

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='../data', help='path to dataset')
parser.add_argument('--batch-size', type=int, default=64, help='input batch size')
parser.add_argument('--image-size', type=int, default=16, choices=[16, 32],
                    help='the height / width of the input image to network')
parser.add_argument('--nz', type=int, default=100, help='size of the latent z vector')
parser.add_argument('--ngf', type=int, default=64)
parser.add_argument('--ndf', type=int, default=64)
parser.add_argument('--niter', type=int, default=25, help='number of epochs to train for')
parser.add_argument('--lr', type=float, default=0.0002, help='learning rate, default=0.0002')
parser.add_argument('--beta1', type=float, default=0.5, help='beta1 for adam. default=0.5')
parser.add_argument('--manual-seed', type=int, default=999, help='manual seed')
parser.add_argument('--max-images', type=int, default=None)
parser.add_argument('--max-batches', type=int, default=None)
parser.add_argument('--log-interval', type=int, default=50)
opt = parser.parse_args()
print(opt)

print("Random Seed: ", opt.manual_seed)
random.seed(opt.manual_seed)
torch.manual_seed(opt.manual_seed)

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def read_images(root):
    name = 't10k-images-idx3-ubyte'
    path = os.path.join(root, 'MNIST', 'raw', name)
    opener = open if os.path.exists(path) else gzip.open
    path = path if os.path.exists(path) else os.path.join(root, name + '.gz')
    with opener(path, 'rb') as f:
        magic, n, rows, cols = np.frombuffer(f.read(16), dtype='>i4')
        assert magic == 2051, magic
        pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, 1, rows, cols)
    return torch.tensor(pixels)


images = read_images(opt.data)
if opt.max_images is not None:
    images = images[:opt.max_images]
images = images.to(torch.float32).div_(255.)
if opt.image_size == 16:
    # transforms.Resize(16) of torchvision on tensors: bilinear, antialiased
    images = F.interpolate(images, size=(16, 16), mode='bilinear', align_corners=False,
                           antialias=True)
else:
    images = F.pad(images, (2, 2, 2, 2), mode='constant', value=0.)
images = (images - 0.5) / 0.5                       # transforms.Normalize((0.5,), (0.5,))
print('images', images.shape, 'min %.4f max %.4f mean %.4f' % (
    images.min(), images.max(), images.mean()))
dataset = torch.utils.data.TensorDataset(images)
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batch_size, shuffle=True,
                                         drop_last=True)

nc = 1
nz = int(opt.nz)
ngf = int(opt.ngf)
ndf = int(opt.ndf)


# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        layers = [
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
        ]
        if opt.image_size == 32:
            layers += [
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                # state size. (ngf) x 16 x 16
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            ]
        else:
            layers += [nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False)]
        # state size. (nc) x image_size x image_size
        layers += [nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        layers = []
        if opt.image_size == 32:
            layers += [
                # input is (nc) x 32 x 32
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
            ]
        else:
            layers += [nn.Conv2d(nc, ndf * 2, 4, 2, 1, bias=False)]
        layers += [
            # state size. (ndf*2) x 8 x 8
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 4 x 4
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        ]
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


netG = Generator().to(device)
netG.apply(weights_init)
print(netG)

netD = Discriminator().to(device)
netD.apply(weights_init)
print(netD)

criterion = nn.BCELoss()

fixed_noise = torch.randn(opt.batch_size, nz, 1, 1, device=device)
real_label = 1
fake_label = 0

# setup optimizer
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

G_losses = []
D_losses = []
for epoch in range(opt.niter):
    for i, data in enumerate(dataloader, 0):
        if opt.max_batches is not None and i >= opt.max_batches:
            break
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        # train with real
        netD.zero_grad()
        real_cpu = data[0].to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=torch.float, device=device)

        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        # train with fake
        noise = torch.randn(batch_size, nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)  # fake labels are real for generator cost
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()

        G_losses.append(errG.item())
        D_losses.append(errD.item())
        if i % opt.log_interval == 0:
            print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
                  % (epoch, opt.niter, i, len(dataloader),
                     errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    print('fixed-noise fakes', tuple(fake.shape), 'mean %.4f std %.4f' % (
        fake.mean().item(), fake.std().item()))
    print(fake[0, 0, 6:8, 6:10])

print('G_losses', len(G_losses), 'mean %.4f' % (sum(G_losses) / len(G_losses)))
print('D_losses', len(D_losses), 'mean %.4f' % (sum(D_losses) / len(D_losses)))
print('netD.main[-1]', netD.main[-1], 'D(real)[:4]', netD(images[:4]).detach())
netG.eval()
with torch.no_grad():
    print('eval fakes', netG(fixed_noise[:2]).flatten(1).mean(1))
print(list(netG.state_dict().keys())[:6])
