"""Probe 34: the programs of the pytorch/examples repository that the torch_programs folder and
probe 33 did not cover, each scaled down (tiny sizes, a few steps, synthetic data from a seeded
NumPy generator in place of the datasets) but with the example's model code, loss, optimizer,
scheduler, utilities and printed lines kept as written. Each runs on real torch and on this
library (the module passed in as ``torch``); weights come from ``torch.manual_seed`` (this
library draws torch's numbers), so every logged value, printed line, warning and error must agree.
Printed lines (rows labelled "printed") are compared as text with their numbers taken out: the
text must be the same, each number within the program's tolerance of torch's or one unit of
its last printed digit (a value a few ulps from torch's can round the other way). The values
themselves are logged too, compared to the tolerance. The rest of the harness is probe 34's
recipes' one.

Programs: regression, super_resolution (model, training, PSNR, the whole-model checkpoint),
siamese_network (model and its APP_MATCHER dataset), mnist_forward_forward, gcn, gat, mnist_rnn,
imagenet's training utilities (AverageMeter, ProgressMeter, top-k accuracy, StepLR, resuming
from a checkpoint) and its torch-0.3 idioms, reinforcement_learning's actor_critic and
reinforce, fast_neural_style (TransformerNet, gram matrices, stylize's checkpoint surgery),
legacy/snli, language_translation, the ddp tutorial's single-GPU Trainer and its
DistributedSampler, differentiable_physics' mass-spring system, vision_transformer, minGPT-ddp's
GPT (AdamW groups, generate), mnist_hogwild (one process), word_language_model (the RNN models,
TransformerModel subclassing nn.Transformer, the training loop), OpenNMT's attention and
memory-efficient loss, swin_transformer, the examples' device selection; one as a script
through the runner.

What the probe found apart, fixed: ``torch.spmm`` was missing (gcn's graph product; dense
here); ``torch.xpu`` was missing (mnist_forward_forward's device choice), also under the runner;
``torch.utils.data.distributed`` was not reachable as an attribute (the ddp tutorial's
``DistributedSampler``); ``from torch.hub import tqdm`` failed under the runner
(vision_transformer); a float32 attention mask with float64 queries (language_translation's
``mask.float()``, run in float64) was refused by multi-head attention where torch merges it with
the padding mask by promotion, and by scaled_dot_product_attention, which takes a float32 mask
for any query dtype (and now adds it in the query's dtype), while with ``need_weights`` torch
refuses a mask of another dtype (with baddbmm's error, now the message here too).
What is left: the strict xfails (XFAIL): sparse tensors; ``Tensor.numpy()`` of a tensor
requiring grad is a read-only view, not refused (without grad it is writable, as torch's).
(``.to('cuda')`` raised RuntimeError where torch's CPU build raises AssertionError: now an error
of both classes, ``device.CudaNotCompiled``.)"""
import io
import math
import re
import time
import warnings
from collections import namedtuple
from enum import Enum
from itertools import count

import numpy as np
import pytest

from helpers import INTEL_CPU
from test_probe34_recipes import F32, F64, _diff, _first_sentence, _norm, run, torchs_own
import tinygrad_sgd as tg

real_torch = pytest.importorskip("torch")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _data(torch, array):
    """Synthetic data in the default dtype (float32; float64 for the FLOAT64 reruns)."""
    return torch.from_numpy(np.asarray(array, dtype=np.float64)).to(torch.get_default_dtype())


def _images(torch, rng, *shape):
    return _data(torch, rng.standard_normal(shape))


# ------------------------------------------------------------------------- regression/main.py
def regression(torch, log):
    F = torch.nn.functional
    torch.manual_seed(0)
    POLY_DEGREE = 4
    W_target = torch.randn(POLY_DEGREE, 1) * 5
    b_target = torch.randn(1) * 5

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        result = 'y = '
        for i, w in enumerate(W):
            result += '{:+.2f} x^{} '.format(w, i + 1)
        result += '{:+.2f}'.format(b[0])
        return result

    def get_batch(batch_size=32):
        random = torch.randn(batch_size)
        x = make_features(random)
        y = f(x)
        return x, y

    fc = torch.nn.Linear(W_target.size(0), 1)
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)      # (the example's older lines: see below)
        if loss < 1e-3 or batch_idx == 40:          # (the example runs to 1e-3)
            break
    log("loss", loss)
    log("weight", fc.weight)
    log("printed", 'Loss: {:.6f} after {} batches'.format(loss, batch_idx))
    log("learned", '==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
    log("actual", '==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
    for param in fc.parameters():                   # the example's newer lines: torch refuses
        param.add_(-0.1 * param.grad)


# ----------------------------------------------------------------- super_resolution/model.py
def super_resolution(torch, log):
    nn = torch.nn
    init = torch.nn.init
    optim = torch.optim

    class Net(nn.Module):
        def __init__(self, upscale_factor):
            super(Net, self).__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
            self.conv4 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self._initialize_weights()

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            x = self.pixel_shuffle(self.conv4(x))
            return x

        def _initialize_weights(self):
            init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv4.weight)

    torch.manual_seed(123)
    rng = _rng(1)
    # data: a high-resolution target and its 2x downsampled input, in [0, 1]
    target = _data(torch, rng.random((4, 1, 8, 8)))
    input = torch.nn.functional.avg_pool2d(target, 2)
    model = Net(upscale_factor=2)
    log("conv1 weight", model.conv1.weight)
    log("conv4 weight", model.conv4.weight)
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    lines = []
    epoch_loss = 0
    batches = [(input[:2], target[:2]), (input[2:], target[2:])]
    for iteration, batch in enumerate(batches, 1):
        input_b, target_b = batch[0], batch[1]
        optimizer.zero_grad()
        loss = criterion(model(input_b), target_b)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
        lines.append("===> Epoch[{}]({}/{}): Loss: {:.4f}".format(1, iteration, len(batches),
                                                                loss.item()))
    lines.append("===> Epoch {} Complete: Avg. Loss: {:.4f}".format(1, epoch_loss / len(batches)))
    avg_psnr = 0
    with torch.no_grad():
        prediction = model(input)
        mse = criterion(prediction, target)
        psnr = 10 * math.log10(1 / mse.item())
        avg_psnr += psnr
    lines.append("===> Avg. PSNR: {:.4f} dB".format(avg_psnr / 1))
    log("psnr", avg_psnr)
    log("prediction", prediction)
    log("conv2 grad", model.conv2.weight.grad)
    # checkpoint(epoch): the whole model pickled (its class made importable for pickle)
    Net.__name__ = Net.__qualname__ = f"_SuperResNet_{torch.__name__}"
    globals()[Net.__name__] = Net
    buffer = io.BytesIO()
    torch.save(model, buffer)
    lines.append("Checkpoint saved to {}".format("model_epoch_{}.pth".format(1)))
    log("printed", lines)
    # super_resolve.py: load it, upscale a "Y channel" image
    buffer.seek(0)
    model = torch.load(buffer, weights_only=False)
    log("loaded", type(model).__name__.startswith("_SuperResNet_"))
    y = (rng.random((6, 5)) * 255).astype(np.uint8)             # (PIL's y, 5 wide 6 high)
    input = _data(torch, y / 255.0).view(1, -1, y.shape[0], y.shape[1])
    log("super-resolved", model(input))


def super_resolve(torch, log):
    """super_resolve.py's post-processing: it scales the NumPy array of the output in place."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.PixelShuffle(2))
    y = (_rng(15).random((6, 5)) * 255).astype(np.uint8)
    input = _data(torch, y / 255.0).view(1, -1, y.shape[0], y.shape[1])
    out = model(input)
    out_img_y = out[0].detach().numpy()
    out_img_y *= 255.0
    out_img_y = out_img_y.clip(0, 255)
    log("out image", np.uint8(out_img_y[0]).astype(np.float64).tolist())
    log("the tensor shares it", out[0, 0, 0])
    out[0].numpy()                          # (the example's older line: requires grad)


# ----------------------------------------------------------------- siamese_network/main.py
def _mini_resnet(torch):
    """torchvision's resnet18 shape (conv1, bn1, relu, maxpool, layer1..4, avgpool, fc) with
    one narrow BasicBlock per stage, so that the example's surgery on its children works."""
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride,
                                                          bias=False), nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, widths=(4, 8, 8, 16)):
            super().__init__()
            self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(widths[0])
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = BasicBlock(widths[0], widths[0])
            self.layer2 = BasicBlock(widths[0], widths[1], 2)
            self.layer3 = BasicBlock(widths[1], widths[2], 2)
            self.layer4 = BasicBlock(widths[2], widths[3], 2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(widths[3], 1000)

    return ResNet()


def siamese_network(torch, log):
    nn = torch.nn
    optim = torch.optim
    from_lr = torch.optim.lr_scheduler

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super(SiameseNetwork, self).__init__()
            self.resnet = _mini_resnet(torch)
            self.resnet.conv1 = nn.Conv2d(1, 4, kernel_size=(7, 7), stride=(2, 2),
                                          padding=(3, 3), bias=False)
            self.fc_in_features = self.resnet.fc.in_features
            self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))
            self.fc = nn.Sequential(
                nn.Linear(self.fc_in_features * 2, 16),
                nn.ReLU(inplace=True),
                nn.Linear(16, 1),
            )
            self.sigmoid = nn.Sigmoid()
            self.resnet.apply(self.init_weights)
            self.fc.apply(self.init_weights)

        def init_weights(self, m):
            if isinstance(m, nn.Linear):
                torch.nn.init.xavier_uniform(m.weight)
                m.bias.data.fill_(0.01)

        def forward_once(self, x):
            output = self.resnet(x)
            output = output.view(output.size()[0], -1)
            return output

        def forward(self, input1, input2):
            output1 = self.forward_once(input1)
            output2 = self.forward_once(input2)
            output = torch.cat((output1, output2), 1)
            output = self.fc(output)
            output = self.sigmoid(output)
            return output

    torch.manual_seed(1)
    rng = _rng(2)
    model = SiameseNetwork()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = from_lr.StepLR(optimizer, step_size=1, gamma=0.7)
    criterion = nn.BCELoss()
    n = 8
    images_1, images_2 = _images(torch, rng, n, 1, 16, 16), _images(torch, rng, n, 1, 16, 16)
    targets = torch.tensor([1.0, 0.0] * (n // 2), dtype=torch.get_default_dtype())
    lines = []
    for epoch in range(1, 3):
        model.train()
        for batch_idx in range(2):
            sl = slice(4 * batch_idx, 4 * batch_idx + 4)
            optimizer.zero_grad()
            outputs = model(images_1[sl], images_2[sl]).squeeze()
            loss = criterion(outputs, targets[sl])
            loss.backward()
            optimizer.step()
            lines.append('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * 4, n, 100. * batch_idx / 2, loss.item()))
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            outputs = model(images_1, images_2).squeeze()
            test_loss += criterion(outputs, targets).sum().item()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
        test_loss /= n
        lines.append('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
            test_loss, correct, n, 100. * correct / n))
        log("pred", pred)
        scheduler.step()
    log("printed", lines)
    log("lr", scheduler.get_last_lr())
    log("fc grad", model.fc[0].weight.grad)
    log("running var", model.resnet[4].bn1.running_var)
    log("outputs", outputs)


# ------------------------------------------------------------ mnist_forward_forward/main.py
def mnist_forward_forward(torch, log):
    nn = torch.nn
    Adam = torch.optim.Adam
    args = namedtuple("args", "lr threshold epochs log_interval")(0.03, 2.0, 6, 2)
    printed = []

    def get_y_neg(y):
        y_neg = y.clone()
        for idx, y_samp in enumerate(y):
            allowed_indices = list(range(10))
            allowed_indices.remove(y_samp.item())
            y_neg[idx] = torch.tensor(allowed_indices)[
                torch.randint(len(allowed_indices), size=(1,))
            ].item()
        return y_neg

    def overlay_y_on_x(x, y, classes=10):
        x_ = x.clone()
        x_[:, :classes] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    class Layer(nn.Linear):
        def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
            super().__init__(in_features, out_features, bias, device, dtype)
            self.relu = torch.nn.ReLU()
            self.opt = Adam(self.parameters(), lr=args.lr)
            self.threshold = args.threshold
            self.num_epochs = args.epochs

        def forward(self, x):
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

        def train(self, x_pos, x_neg):
            for i in range(self.num_epochs):
                g_pos = self.forward(x_pos).pow(2).mean(1)
                g_neg = self.forward(x_neg).pow(2).mean(1)
                loss = torch.log1p(torch.exp(
                    torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                if i % args.log_interval == 0:
                    printed.append(("Loss: ", loss.item()))
            return self.forward(x_pos).detach(), self.forward(x_neg).detach()

    class Net(torch.nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.layers = []
            for d in range(len(dims) - 1):
                self.layers = self.layers + [Layer(dims[d], dims[d + 1])]

        def predict(self, x):
            goodness_per_label = []
            for label in range(10):
                h = overlay_y_on_x(x, label)
                goodness = []
                for layer in self.layers:
                    h = layer(h)
                    goodness = goodness + [h.pow(2).mean(1)]
                goodness_per_label += [sum(goodness).unsqueeze(1)]
            goodness_per_label = torch.cat(goodness_per_label, 1)
            return goodness_per_label.argmax(1)

        def train(self, x_pos, x_neg):
            h_pos, h_neg = x_pos, x_neg
            for i, layer in enumerate(self.layers):
                printed.append(("training layer: ", i))
                h_pos, h_neg = layer.train(h_pos, h_neg)

    torch.manual_seed(1)
    rng = _rng(3)
    x = _data(torch, ((rng.random((12, 49)) - 0.1307) / 0.3081))
    y = torch.from_numpy(rng.integers(0, 10, 12))
    net = Net([49, 20, 20])
    x_pos = overlay_y_on_x(x, y)
    y_neg = get_y_neg(y)
    x_neg = overlay_y_on_x(x, y_neg)
    log("y_neg", y_neg)
    log("x_pos", x_pos)
    net.train(x_pos, x_neg)
    log("printed", [f"{a}{b}" for a, b in printed])
    log("train error", 1.0 - net.predict(x).eq(y).float().mean().item())
    log("layer weight", net.layers[1].weight)
    log("state_dict keys", list(net.state_dict()))


# ------------------------------------------------------------------------------ gcn/main.py
def gcn(torch, log):
    nn = torch.nn
    F = torch.nn.functional

    class GraphConv(nn.Module):
        def __init__(self, input_dim, output_dim, use_bias=False):
            super(GraphConv, self).__init__()
            self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
            nn.init.xavier_normal_(self.kernel)
            self.bias = None
            if use_bias:
                self.bias = nn.Parameter(torch.Tensor(output_dim))
                nn.init.zeros_(self.bias)

        def forward(self, input_tensor, adj_mat):
            support = torch.mm(input_tensor, self.kernel)
            output = torch.spmm(adj_mat, support)
            if self.bias is not None:
                output = output + self.bias
            return output

    class GCN(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
            super(GCN, self).__init__()
            self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
            self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input_tensor, adj_mat):
            x = self.gc1(input_tensor, adj_mat)
            x = F.relu(x)
            x = self.dropout(x)
            x = self.gc2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    def load_graph(rng, V=12, n_feat=10, E=20):
        """load_cora's processing on a synthetic graph, dense (the example makes the
        matrices sparse; ``spmm`` multiplies dense ones the same)."""
        features = torch.FloatTensor((rng.random((V, n_feat)) < 0.3).astype(np.int32))
        scale_vector = torch.sum(features, dim=1)
        scale_vector = 1 / scale_vector
        scale_vector[scale_vector == float('inf')] = 0
        scale_vector = torch.diag(scale_vector)
        features = scale_vector @ features
        labels = torch.LongTensor(rng.integers(0, 3, V))
        edges = rng.integers(0, V, (E, 2)).astype(np.int32)
        adj_mat = torch.zeros(V, V)
        adj_mat[edges[:, 0], edges[:, 1]] = 1.0
        adj_mat = torch.eye(V) + adj_mat
        degree_mat = torch.sum(adj_mat, dim=1)
        degree_mat = torch.sqrt(1 / degree_mat)
        degree_mat[degree_mat == float('inf')] = 0
        degree_mat = torch.diag(degree_mat)
        adj_mat = degree_mat @ adj_mat @ degree_mat
        return features, labels, adj_mat

    def test(model, criterion, input, target, mask):
        model.eval()
        with torch.no_grad():
            output = model(*input)
            output, target = output[mask], target[mask]
            loss = criterion(output, target)
            acc = (output.argmax(dim=1) == target).float().sum() / len(target)
        return loss.item(), acc.item()

    torch.manual_seed(42)
    features, labels, adj_mat = load_graph(_rng(4))
    log("features", features)
    log("adj", adj_mat)
    idx = torch.randperm(len(labels))
    idx_test, idx_val, idx_train = idx[:3], idx[3:6], idx[6:]
    model = GCN(features.shape[1], 16, labels.max().item() + 1, True, 0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    criterion = nn.NLLLoss()
    lines = []
    for epoch in range(1, 5):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj_mat)
        loss = criterion(output[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        loss_train, acc_train = test(model, criterion, (features, adj_mat), labels, idx_train)
        loss_val, acc_val = test(model, criterion, (features, adj_mat), labels, idx_val)
        if epoch % 2 == 0:          # (the example also prints the step's time)
            lines.append(f'Epoch: {epoch:04d} loss_train: {loss_train:.4f} acc_train: '
                         f'{acc_train:.4f} loss_val: {loss_val:.4f} acc_val: {acc_val:.4f}')
    loss_test, acc_test = test(model, criterion, (features, adj_mat), labels, idx_test)
    lines.append(f'Test set results: loss {loss_test:.4f} accuracy {acc_test:.4f}')
    log("printed", lines)
    log("kernel", model.gc1.kernel)
    log("kernel grad", model.gc2.kernel.grad)


def gcn_sparse(torch, log):
    """load_cora's sparse matrices: ``to_sparse``, ``sparse_coo_tensor``, a dense + sparse
    sum and ``spmm`` of a sparse matrix."""
    V = 4
    edges = np.array([[0, 1], [1, 2], [3, 0]], dtype=np.int32)
    adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(3), (V, V), dtype=torch.int64)
    adj_mat = torch.eye(V) + adj_mat
    degree_mat = torch.sqrt(1 / torch.sum(adj_mat, dim=1))
    degree_mat = torch.diag(degree_mat).to_sparse()
    adj_mat = degree_mat @ adj_mat @ degree_mat
    log("normalised", adj_mat.to_sparse().to_dense())
    log("spmm", torch.spmm(adj_mat.to_sparse(), torch.ones(V, 2)))


# ------------------------------------------------------------------------------ gat/main.py
def gat(torch, log):
    nn = torch.nn
    F = torch.nn.functional

    class GraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, n_heads, concat=False, dropout=0.4,
                     leaky_relu_slope=0.2):
            super(GraphAttentionLayer, self).__init__()
            self.n_heads = n_heads
            self.concat = concat
            self.dropout = dropout
            if concat:
                self.out_features = out_features
                assert out_features % n_heads == 0
                self.n_hidden = out_features // n_heads
            else:
                self.n_hidden = out_features
            self.W = nn.Parameter(torch.empty(size=(in_features, self.n_hidden * n_heads)))
            self.a = nn.Parameter(torch.empty(size=(n_heads, 2 * self.n_hidden, 1)))
            self.leakyrelu = nn.LeakyReLU(leaky_relu_slope)
            self.softmax = nn.Softmax(dim=1)
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.xavier_normal_(self.W)
            nn.init.xavier_normal_(self.a)

        def _get_attention_scores(self, h_transformed):
            source_scores = torch.matmul(h_transformed, self.a[:, :self.n_hidden, :])
            target_scores = torch.matmul(h_transformed, self.a[:, self.n_hidden:, :])
            e = source_scores + target_scores.mT
            return self.leakyrelu(e)

        def forward(self, h, adj_mat):
            n_nodes = h.shape[0]
            h_transformed = torch.mm(h, self.W)
            h_transformed = F.dropout(h_transformed, self.dropout, training=self.training)
            h_transformed = h_transformed.view(n_nodes, self.n_heads,
                                               self.n_hidden).permute(1, 0, 2)
            e = self._get_attention_scores(h_transformed)
            connectivity_mask = -9e16 * torch.ones_like(e)
            e = torch.where(adj_mat > 0, e, connectivity_mask)
            attention = F.softmax(e, dim=-1)
            attention = F.dropout(attention, self.dropout, training=self.training)
            h_prime = torch.matmul(attention, h_transformed)
            if self.concat:
                h_prime = h_prime.permute(1, 0, 2).contiguous().view(n_nodes, self.out_features)
            else:
                h_prime = h_prime.mean(dim=0)
            return h_prime

    class GAT(nn.Module):
        def __init__(self, in_features, n_hidden, n_heads, num_classes, concat=False,
                     dropout=0.4, leaky_relu_slope=0.2):
            super(GAT, self).__init__()
            self.gat1 = GraphAttentionLayer(in_features=in_features, out_features=n_hidden,
                                            n_heads=n_heads, concat=concat, dropout=dropout,
                                            leaky_relu_slope=leaky_relu_slope)
            self.gat2 = GraphAttentionLayer(in_features=n_hidden, out_features=num_classes,
                                            n_heads=1, concat=False, dropout=dropout,
                                            leaky_relu_slope=leaky_relu_slope)

        def forward(self, input_tensor, adj_mat):
            x = self.gat1(input_tensor, adj_mat)
            x = F.elu(x)
            x = self.gat2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    torch.manual_seed(13)
    rng = _rng(5)
    V = 10
    features = _data(torch, rng.random((V, 6)))
    labels = torch.from_numpy(rng.integers(0, 3, V))
    adj_mat = torch.eye(V) + _data(torch, (rng.random((V, V)) < 0.3))
    idx = torch.randperm(len(labels))
    idx_val, idx_train = idx[:3], idx[3:]
    for concat in (False, True):
        net = GAT(in_features=6, n_hidden=8, n_heads=4, num_classes=3, concat=concat,
                  dropout=0.6, leaky_relu_slope=0.2)
        optimizer = torch.optim.Adam(net.parameters(), lr=0.005, weight_decay=5e-4)
        criterion = nn.NLLLoss()
        for epoch in range(3):
            net.train()
            optimizer.zero_grad()
            output = net(features, adj_mat)
            loss = criterion(output[idx_train], labels[idx_train])
            loss.backward()
            optimizer.step()
            log(f"loss {concat}", loss)
        net.eval()
        with torch.no_grad():
            output = net(features, adj_mat)[idx_val]
        log(f"eval {concat}", output)
        log(f"a grad {concat}", net.gat1.a.grad)


# ---------------------------------------------------------------------- mnist_rnn/main.py
def mnist_rnn(torch, log):
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(64)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout2d(0.5)
            self.fc1 = nn.Linear(64, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, input):
            input = input.reshape(-1, 28, 28)
            output, hidden = self.rnn(input)
            output = output[:, -1, :]
            output = self.batchnorm(output)
            output = self.dropout1(output)
            output = self.fc1(output)
            output = F.relu(output)
            output = self.dropout2(output)
            output = self.fc2(output)
            output = F.log_softmax(output, dim=1)
            return output

    torch.manual_seed(1)
    rng = _rng(6)
    data = _images(torch, rng, 8, 1, 28, 28)
    target = torch.from_numpy(rng.integers(0, 10, 8))
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    lines = []
    for epoch in range(1, 3):
        model.train()
        for batch_idx in range(2):
            d, t = data[4 * batch_idx:4 * batch_idx + 4], target[4 * batch_idx:4 * batch_idx + 4]
            optimizer.zero_grad()
            output = model(d)
            loss = F.nll_loss(output, t)
            loss.backward()
            optimizer.step()
            lines.append('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(d), 8, 100. * batch_idx / 2, loss.item()))
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= 8
        lines.append('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
            test_loss, correct, 8, 100. * correct / 8))
        scheduler.step()
    log("printed", lines)
    log("eval output", output)
    log("fc1 grad", model.fc1.weight.grad)
    log("lstm grad", model.rnn.weight_hh_l0.grad)


# ---------------------------------------------------- imagenet/main.py: the training utilities
class Summary(Enum):
    NONE = 0
    AVERAGE = 1
    SUM = 2
    COUNT = 3


class AverageMeter(object):
    """Computes and stores the average and current value"""
    def __init__(self, name, fmt=':f', summary_type=Summary.AVERAGE):
        self.name = name
        self.fmt = fmt
        self.summary_type = summary_type
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = '{name} {val' + self.fmt + '} ({avg' + self.fmt + '})'
        return fmtstr.format(**self.__dict__)

    def summary(self):
        fmtstr = ''
        if self.summary_type is Summary.NONE:
            fmtstr = ''
        elif self.summary_type is Summary.AVERAGE:
            fmtstr = '{name} {avg:.3f}'
        elif self.summary_type is Summary.SUM:
            fmtstr = '{name} {sum:.3f}'
        elif self.summary_type is Summary.COUNT:
            fmtstr = '{name} {count:.3f}'
        return fmtstr.format(**self.__dict__)


class ProgressMeter(object):
    def __init__(self, num_batches, meters, prefix="", out=None):
        self.batch_fmtstr = self._get_batch_fmtstr(num_batches)
        self.meters = meters
        self.prefix = prefix
        self.out = out

    def display(self, batch):
        entries = [self.prefix + self.batch_fmtstr.format(batch)]
        entries += [str(meter) for meter in self.meters]
        self.out.append('\t'.join(entries))

    def display_summary(self):
        entries = [" *"]
        entries += [meter.summary() for meter in self.meters]
        self.out.append(' '.join(entries))

    def _get_batch_fmtstr(self, num_batches):
        num_digits = len(str(num_batches // 1))
        fmt = '{:' + str(num_digits) + 'd}'
        return '[' + fmt + '/' + fmt.format(num_batches) + ']'


def imagenet_training(torch, log):
    nn = torch.nn

    def accuracy(output, target, topk=(1,)):
        with torch.no_grad():
            maxk = max(topk)
            batch_size = target.size(0)
            _, pred = output.topk(maxk, 1, True, True)
            pred = pred.t()
            correct = pred.eq(target.view(1, -1).expand_as(pred))
            res = []
            for k in topk:
                correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
                res.append(correct_k.mul_(100.0 / batch_size))
            return res

    torch.manual_seed(0)
    rng = _rng(7)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(6, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    images = _images(torch, rng, 12, 3, 6, 6)
    target = torch.from_numpy(rng.integers(0, 10, 12))
    out = []
    best_acc1 = 0
    for epoch in range(2):
        losses = AverageMeter('Loss', ':.4e')
        top1 = AverageMeter('Acc@1', ':6.2f')
        top5 = AverageMeter('Acc@5', ':6.2f')
        progress = ProgressMeter(3, [losses, top1, top5], prefix="Epoch: [{}]".format(epoch),
                                 out=out)
        model.train()
        for i in range(3):
            x, y = images[4 * i:4 * i + 4], target[4 * i:4 * i + 4]
            output = model(x)
            loss = criterion(output, y)
            acc1, acc5 = accuracy(output, y, topk=(1, 5))
            losses.update(loss.item(), x.size(0))
            top1.update(acc1[0], x.size(0))
            top5.update(acc5[0], x.size(0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            progress.display(i + 1)
        model.eval()
        with torch.no_grad():
            output = model(images)
            acc1, acc5 = accuracy(output, target, topk=(1, 5))
        top1.update(acc1[0], images.size(0))
        progress.display_summary()
        acc1 = top1.avg
        is_best = acc1 > best_acc1
        best_acc1 = max(acc1, best_acc1)
        log(f"best {epoch}", [is_best, best_acc1])
        scheduler.step()
        # save_checkpoint and the --resume path, into memory
        buffer = io.BytesIO()
        torch.save({'epoch': epoch + 1, 'arch': 'tiny', 'state_dict': model.state_dict(),
                    'best_acc1': best_acc1, 'optimizer': optimizer.state_dict(),
                    'scheduler': scheduler.state_dict()}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer, weights_only=False)
        optimizer.load_state_dict(checkpoint['optimizer'])
        scheduler.load_state_dict(checkpoint['scheduler'])
        model.load_state_dict(checkpoint['state_dict'])
        log(f"resumed {epoch}", [checkpoint['epoch'], checkpoint['best_acc1']])
    log("printed", out)
    log("lr", optimizer.param_groups[0]['lr'])
    log("momentum buffer", optimizer.state_dict()['state'][0]['momentum_buffer'])


def imagenet_old_accuracy(torch, log):
    """The example's older ``accuracy``: ``correct[:k].view(-1)`` of a transposed tensor,
    which torch refuses (the newer example says ``reshape``); and the older
    ``adjust_learning_rate``."""
    output = torch.tensor([[0.1, 0.5, 0.4], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
    target = torch.tensor([1, 2, 2])
    optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    for epoch in (0, 29, 30, 65):
        lr = 0.1 * (0.1 ** (epoch // 30))
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr
        log(f"lr {epoch}", optimizer.param_groups[0]['lr'])
    _, pred = output.topk(2, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    log("correct", correct.float())
    log("correct[:1] contiguous", correct[:1].is_contiguous())
    correct[:2].view(-1)


# ---------------------------------------------------------- reinforcement_learning/actor_critic.py
def actor_critic(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    Categorical = torch.distributions.Categorical
    SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(4, 128)
            self.action_head = nn.Linear(128, 2)
            self.value_head = nn.Linear(128, 1)
            self.saved_actions = []
            self.rewards = []

        def forward(self, x):
            x = F.relu(self.affine1(x))
            action_prob = F.softmax(self.action_head(x), dim=-1)
            state_values = self.value_head(x)
            return action_prob, state_values

    torch.manual_seed(543)
    model = Policy()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()
    gamma = 0.99

    def select_action(state):
        state = torch.from_numpy(state).float()
        probs, state_value = model(state)
        m = Categorical(probs)
        action = m.sample()
        model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        return action.item()

    def finish_episode():
        R = 0
        saved_actions = model.saved_actions
        policy_losses = []
        value_losses = []
        returns = []
        for r in model.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for (log_prob, value), R in zip(saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        del model.rewards[:]
        del model.saved_actions[:]
        return loss

    rng = _rng(8)
    running_reward = 10
    lines, actions = [], []
    for i_episode in range(1, 5):
        state = rng.standard_normal(4)          # a random walk stands in for CartPole
        ep_reward = 0
        for t in range(1, 10000):
            action = select_action(state)
            actions.append(action)
            state = state + (0.1 if action else -0.1) + 0.05 * rng.standard_normal(4)
            reward = 1.0
            done = (abs(state[0]) > 1.5 and t > 1) or t == 8     # (std of one return: nan)
            model.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        loss = finish_episode()
        log(f"loss {i_episode}", loss)
        if i_episode % 2 == 0:
            lines.append('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}'.format(
                i_episode, ep_reward, running_reward))
    log("actions", actions)
    log("printed", lines)
    log("value head", model.value_head.weight)


# -------------------------------------------------- fast_neural_style: transformer_net, utils
def fast_neural_style(torch, log):
    nn = torch.nn

    class ConvLayer(torch.nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super(ConvLayer, self).__init__()
            reflection_padding = kernel_size // 2
            self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
            self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class ResidualBlock(torch.nn.Module):
        def __init__(self, channels):
            super(ResidualBlock, self).__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
            self.relu = torch.nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class UpsampleConvLayer(torch.nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super(UpsampleConvLayer, self).__init__()
            self.upsample = upsample
            if upsample:
                self.upsample_layer = torch.nn.Upsample(mode='nearest', scale_factor=upsample)
            reflection_padding = kernel_size // 2
            self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
            self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            x_in = x
            if self.upsample:
                x_in = self.upsample_layer(x_in)
            return self.conv2d(self.reflection_pad(x_in))

    class TransformerNet(torch.nn.Module):
        def __init__(self, c=(8, 16, 32)):        # (the example's: 32, 64, 128)
            super(TransformerNet, self).__init__()
            self.conv1 = ConvLayer(3, c[0], kernel_size=9, stride=1)
            self.in1 = torch.nn.InstanceNorm2d(c[0], affine=True)
            self.conv2 = ConvLayer(c[0], c[1], kernel_size=3, stride=2)
            self.in2 = torch.nn.InstanceNorm2d(c[1], affine=True)
            self.conv3 = ConvLayer(c[1], c[2], kernel_size=3, stride=2)
            self.in3 = torch.nn.InstanceNorm2d(c[2], affine=True)
            self.res1 = ResidualBlock(c[2])
            self.res2 = ResidualBlock(c[2])
            self.deconv1 = UpsampleConvLayer(c[2], c[1], kernel_size=3, stride=1, upsample=2)
            self.in4 = torch.nn.InstanceNorm2d(c[1], affine=True)
            self.deconv2 = UpsampleConvLayer(c[1], c[0], kernel_size=3, stride=1, upsample=2)
            self.in5 = torch.nn.InstanceNorm2d(c[0], affine=True)
            self.deconv3 = ConvLayer(c[0], 3, kernel_size=9, stride=1)
            self.relu = torch.nn.ReLU()

        def forward(self, X):
            y = self.relu(self.in1(self.conv1(X)))
            y = self.relu(self.in2(self.conv2(y)))
            y = self.relu(self.in3(self.conv3(y)))
            y = self.res2(self.res1(y))
            y = self.relu(self.in4(self.deconv1(y)))
            y = self.relu(self.in5(self.deconv2(y)))
            return self.deconv3(y)

    def gram_matrix(y):
        (b, ch, h, w) = y.size()
        features = y.view(b, ch, w * h)
        features_t = features.transpose(1, 2)
        return features.bmm(features_t) / (ch * h * w)

    def normalize_batch(batch):
        mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
        std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
        batch = batch.div_(255.0)
        return (batch - mean) / std

    VggOutputs = namedtuple("VggOutputs", ['relu1_2', 'relu2_2'])

    class Vgg(torch.nn.Module):               # (stands in for the pretrained VGG16)
        def __init__(self):
            super().__init__()
            self.slice1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True))
            self.slice2 = nn.Sequential(nn.MaxPool2d(2, 2), nn.Conv2d(4, 6, 3, padding=1),
                                        nn.ReLU(inplace=True))
            for param in self.parameters():
                param.requires_grad = False

        def forward(self, X):
            h = self.slice1(X)
            h_relu1_2 = h
            h_relu2_2 = self.slice2(h)
            return VggOutputs(h_relu1_2, h_relu2_2)

    torch.manual_seed(42)
    rng = _rng(9)
    transformer = TransformerNet()
    optimizer = torch.optim.Adam(transformer.parameters(), 1e-3)
    mse_loss = torch.nn.MSELoss()
    vgg = Vgg()
    style = _data(torch, (rng.random((1, 3, 16, 16)) * 255))
    style = style.repeat(2, 1, 1, 1)
    features_style = vgg(normalize_batch(style))
    gram_style = [gram_matrix(y) for y in features_style]
    log("style after div_", style)
    lines = []
    agg_content_loss = agg_style_loss = 0.
    for batch_id in range(2):
        x = _data(torch, (rng.random((2, 3, 16, 16)) * 255))
        n_batch = len(x)
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y = vgg(y)
        features_x = vgg(x)
        content_loss = 1e5 * mse_loss(features_y.relu2_2, features_x.relu2_2)
        style_loss = 0.
        for ft_y, gm_s in zip(features_y, gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= 1e10
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        agg_content_loss += content_loss.item()
        agg_style_loss += style_loss.item()
        lines.append("Epoch {}:\t[{}/{}]\tcontent: {:.6f}\tstyle: {:.6f}\ttotal: {:.6f}".format(
            1, (batch_id + 1) * n_batch, 4, agg_content_loss / (batch_id + 1),
            agg_style_loss / (batch_id + 1),
            (agg_content_loss + agg_style_loss) / (batch_id + 1)))
    log("losses", [agg_content_loss, agg_style_loss])
    log("printed", lines)
    log("in1 grad", transformer.in1.weight.grad)
    with torch.no_grad():
        output = transformer(_data(torch, rng.random((1, 3, 16, 16))))
    img = output[0].clone().clamp(0, 255).numpy()
    log("saved image", img.transpose(1, 2, 0).astype("uint8").astype(np.float64).tolist())


# ------------------------------------------------------------------------ legacy/snli/model.py
def snli(torch, log):
    nn = torch.nn

    class Bottle(nn.Module):
        def forward(self, input):
            if len(input.size()) <= 2:
                return super().forward(input)
            size = input.size()[:2]
            out = super().forward(input.view(size[0] * size[1], -1))
            return out.view(size[0], size[1], -1)

    class Linear(Bottle, nn.Linear):
        pass

    class Encoder(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            input_size = config.d_proj if config.projection else config.d_embed
            dropout = 0 if config.n_layers == 1 else config.dp_ratio
            self.rnn = nn.LSTM(input_size=input_size, hidden_size=config.d_hidden,
                               num_layers=config.n_layers, dropout=dropout,
                               bidirectional=config.birnn)

        def forward(self, inputs):
            batch_size = inputs.size()[1]
            state_shape = self.config.n_cells, batch_size, self.config.d_hidden
            h0 = c0 = inputs.new_zeros(state_shape)
            outputs, (ht, ct) = self.rnn(inputs, (h0, c0))
            return ht[-1] if not self.config.birnn else \
                ht[-2:].transpose(0, 1).contiguous().view(batch_size, -1)

    class SNLIClassifier(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.embed = nn.Embedding(config.n_embed, config.d_embed)
            self.projection = Linear(config.d_embed, config.d_proj)
            self.encoder = Encoder(config)
            self.dropout = nn.Dropout(p=config.dp_ratio)
            self.relu = nn.ReLU()
            seq_in_size = 2 * config.d_hidden
            if self.config.birnn:
                seq_in_size *= 2
            lin_config = [seq_in_size] * 2
            self.out = nn.Sequential(
                Linear(*lin_config), self.relu, self.dropout,
                Linear(*lin_config), self.relu, self.dropout,
                Linear(*lin_config), self.relu, self.dropout,
                Linear(seq_in_size, config.d_out))

        def forward(self, batch):
            prem_embed = self.embed(batch.premise)
            hypo_embed = self.embed(batch.hypothesis)
            if self.config.fix_emb:
                prem_embed = prem_embed.detach()
                hypo_embed = hypo_embed.detach()
            if self.config.projection:
                prem_embed = self.relu(self.projection(prem_embed))
                hypo_embed = self.relu(self.projection(hypo_embed))
            premise = self.encoder(prem_embed)
            hypothesis = self.encoder(hypo_embed)
            return self.out(torch.cat([premise, hypothesis], 1))

    Config = namedtuple("Config", "n_embed d_embed d_proj projection n_layers dp_ratio birnn "
                                  "d_hidden n_cells d_out fix_emb")
    Batch = namedtuple("Batch", "premise hypothesis label")
    rng = _rng(10)
    for birnn in (True, False):
        torch.manual_seed(3)
        n_layers = 2
        config = Config(20, 8, 6, True, n_layers, 0.2, birnn, 5,
                        n_layers * (2 if birnn else 1), 3, True)
        model = SNLIClassifier(config)
        criterion = nn.CrossEntropyLoss()
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
        batch = Batch(torch.from_numpy(rng.integers(0, 20, (7, 4))),
                      torch.from_numpy(rng.integers(0, 20, (5, 4))),
                      torch.from_numpy(rng.integers(0, 3, 4)))
        model.train()
        opt.zero_grad()
        answer = model(batch)
        n_correct = (torch.max(answer, 1)[1].view(batch.label.size()) == batch.label).sum().item()
        loss = criterion(answer, batch.label)
        loss.backward()
        opt.step()
        log(f"answer {birnn}", answer)
        log(f"n_correct {birnn}", n_correct)
        log(f"rnn grad {birnn}", model.encoder.rnn.weight_ih_l1.grad)
        log(f"embed grad {birnn}", model.embed.weight.grad)
        log(f"keys {birnn}", list(model.state_dict())[:6])


# ------------------------------------------------------- language_translation: model and masks
def language_translation(torch, log):
    nn = torch.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size, dropout, maxlen=5000):
            super(PositionalEncoding, self).__init__()
            den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
            pos = torch.arange(0, maxlen).reshape(maxlen, 1)
            pos_embedding = torch.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = torch.sin(pos * den)
            pos_embedding[:, 1::2] = torch.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer('pos_embedding', pos_embedding)

        def forward(self, token_embedding):
            return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])

    class Translator(nn.Module):
        def __init__(self, num_encoder_layers, num_decoder_layers, embed_size, num_heads,
                     src_vocab_size, tgt_vocab_size, dim_feedforward, dropout):
            super(Translator, self).__init__()
            self.src_embedding = nn.Embedding(src_vocab_size, embed_size)
            self.tgt_embedding = nn.Embedding(tgt_vocab_size, embed_size)
            self.pos_enc = PositionalEncoding(embed_size, dropout, maxlen=50)
            self.transformer = nn.Transformer(
                d_model=embed_size, nhead=num_heads, num_encoder_layers=num_encoder_layers,
                num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                dropout=dropout)
            self.ff = nn.Linear(embed_size, tgt_vocab_size)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                    memory_key_padding_mask):
            src_emb = self.pos_enc(self.src_embedding(src))
            tgt_emb = self.pos_enc(self.tgt_embedding(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                    src_padding_mask, tgt_padding_mask, memory_key_padding_mask)
            return self.ff(outs)

        def encode(self, src, src_mask):
            embed = self.src_embedding(src)
            pos_enc = self.pos_enc(embed, src_mask)
            return self.transformer.encoder(pos_enc)

    def generate_square_subsequent_mask(sz, device):
        mask = (torch.triu(torch.ones((sz, sz), device=device)) == 1).transpose(0, 1)
        mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1,
                                                                            float(0.0))
        return mask

    def create_mask(src, tgt, pad_idx, device):
        src_seq_len = src.shape[0]
        tgt_seq_len = tgt.shape[0]
        tgt_mask = generate_square_subsequent_mask(tgt_seq_len, device)
        src_mask = torch.zeros((src_seq_len, src_seq_len), device=device).type(torch.bool)
        src_padding_mask = (src == pad_idx).transpose(0, 1)
        tgt_padding_mask = (tgt == pad_idx).transpose(0, 1)
        return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask

    PAD_IDX = 1
    torch.manual_seed(0)
    rng = _rng(11)
    model = Translator(2, 2, 16, 4, 15, 13, 32, 0.1)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optim = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    src = torch.from_numpy(rng.integers(2, 15, (6, 3)))
    tgt = torch.from_numpy(rng.integers(2, 13, (5, 3)))
    src[4:, 1] = PAD_IDX
    tgt[3:, 2] = PAD_IDX
    losses = 0
    model.train()
    for step in range(2):
        tgt_input = tgt[:-1, :]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(
            src, tgt_input, PAD_IDX, "cpu")
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                       src_padding_mask)
        optim.zero_grad()
        tgt_out = tgt[1:, :]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()
        optim.step()
        losses += loss.item()
        log(f"loss {step}", loss)
    log("tgt_mask", tgt_mask)
    log("ff grad", model.ff.weight.grad)
    model.eval()
    with torch.no_grad():
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                       src_padding_mask)
    log("eval logits", logits)
    log("printed", f"\tTrain loss: {losses / 2:.3f}")
    model.encode(src[:, :1], torch.zeros(6, 6).type(torch.bool))     # the example's greedy


# ---------------------------------------- distributed/ddp-tutorial-series/single_gpu.py Trainer
def ddp_single_gpu(torch, log):
    F = torch.nn.functional
    from_data = torch.utils.data

    class MyTrainDataset(from_data.Dataset):
        def __init__(self, size):
            self.size = size
            self.data = [(torch.rand(20), torch.rand(1)) for _ in range(size)]

        def __len__(self):
            return self.size

        def __getitem__(self, index):
            return self.data[index]

    class Trainer:
        def __init__(self, model, train_data, optimizer, gpu_id, save_every):
            self.gpu_id = gpu_id
            self.model = model
            self.train_data = train_data
            self.optimizer = optimizer
            self.save_every = save_every
            self.lines = []

        def _run_batch(self, source, targets):
            self.optimizer.zero_grad()
            output = self.model(source)
            loss = F.cross_entropy(output, targets)
            loss.backward()
            self.optimizer.step()
            return loss

        def _run_epoch(self, epoch):
            b_sz = len(next(iter(self.train_data))[0])
            self.lines.append(f"[GPU{self.gpu_id}] Epoch {epoch} | Batchsize: {b_sz} | Steps: "
                              f"{len(self.train_data)}")
            return [self._run_batch(source, targets) for source, targets in self.train_data]

        def _save_checkpoint(self, epoch):
            ckp = self.model.state_dict()
            buffer = io.BytesIO()
            torch.save(ckp, buffer)
            self.lines.append(f"Epoch {epoch} | Training checkpoint saved at checkpoint.pt")
            return buffer

        def train(self, max_epochs):
            for epoch in range(max_epochs):
                losses = self._run_epoch(epoch)
                if epoch % self.save_every == 0:
                    self._save_checkpoint(epoch)
            return losses

    torch.manual_seed(0)
    train_set = MyTrainDataset(10)
    model = torch.nn.Linear(20, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loader = from_data.DataLoader(train_set, batch_size=4, pin_memory=True, shuffle=True)
    trainer = Trainer(model, loader, optimizer, 0, 1)
    losses = trainer.train(2)
    log("losses", losses)
    log("printed", trainer.lines)
    log("weight grad", model.weight.grad)
    log("first sample", train_set[0][0])


# ------------------------------------------------------ differentiable_physics/mass_spring.py
def mass_spring(torch, log):
    nn = torch.nn

    class MassSpringSystem(nn.Module):
        def __init__(self, num_particles, springs, mass=1.0, dt=0.01, gravity=9.81,
                     device="cpu"):
            super().__init__()
            self.device = device
            self.mass = mass
            self.springs = springs
            self.dt = dt
            self.gravity = gravity
            self.initial_position_0 = torch.tensor([0.0, 0.0], device=device)
            self.initial_positions_rest = nn.Parameter(torch.randn(num_particles - 1, 2,
                                                                   device=device))
            self.velocities = torch.zeros(num_particles, 2, device=device)

        def forward(self, steps):
            positions = torch.cat([self.initial_position_0.unsqueeze(0),
                                   self.initial_positions_rest], dim=0)
            velocities = self.velocities
            for _ in range(steps):
                forces = torch.zeros_like(positions)
                for (i, j, rest_length, stiffness) in self.springs:
                    xi, xj = positions[i], positions[j]
                    dir_vec = xj - xi
                    dist = dir_vec.norm()
                    force = stiffness * (dist - rest_length) * dir_vec / (dist + 1e-6)
                    forces[i] += force
                    forces[j] -= force
                forces[:, 1] -= self.gravity * self.mass
                acceleration = forces / self.mass
                velocities = velocities + acceleration * self.dt
                positions = positions + velocities * self.dt
                positions[0] = self.initial_position_0
                velocities[0] = torch.tensor([0.0, 0.0], device=positions.device)
            return positions

    torch.manual_seed(0)
    system = MassSpringSystem(num_particles=3, springs=[(0, 1, 1.0, 10.0), (1, 2, 0.5, 5.0)])
    optimizer = torch.optim.Adam(system.parameters(), lr=0.01)
    target_positions = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.5, 0.0]])
    lines = []
    for epoch in range(6):
        optimizer.zero_grad()
        final_positions = system(8)
        loss = (final_positions - target_positions).pow(2).mean()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 2 == 0:
            lines.append(f"Epoch {epoch+1}/6, Loss: {loss.item():.6f}")
        log(f"grad {epoch}", system.initial_positions_rest.grad)
    lines.append(f"Final positions:\n{final_positions.detach().cpu().numpy()}")
    log("printed", lines)
    log("final", final_positions)
    log("velocities untouched", system.velocities)
    with torch.no_grad():
        log("eval", system(3))


# ------------------------------------------------------------------- vision_transformer/main.py
def vision_transformer(torch, log):
    nn = torch.nn

    class PatchExtractor(nn.Module):
        def __init__(self, patch_size=16):
            super().__init__()
            self.patch_size = patch_size

        def forward(self, input_data):
            batch_size, channels, height, width = input_data.size()
            assert height % self.patch_size == 0 and width % self.patch_size == 0, \
                f"Input height ({height}) and width ({width}) must be divisible by patch size " \
                f"({self.patch_size})"
            num_patches_h = height // self.patch_size
            num_patches_w = width // self.patch_size
            num_patches = num_patches_h * num_patches_w
            patches = input_data.unfold(2, self.patch_size, self.patch_size). \
                unfold(3, self.patch_size, self.patch_size). \
                permute(0, 2, 3, 1, 4, 5). \
                contiguous(). \
                view(batch_size, num_patches, -1)
            return patches

    class InputEmbedding(nn.Module):
        def __init__(self, args):
            super(InputEmbedding, self).__init__()
            self.patch_size = args.patch_size
            self.n_channels = args.n_channels
            self.latent_size = args.latent_size
            self.device = torch.device("cpu")
            self.batch_size = args.batch_size
            self.input_size = self.patch_size * self.patch_size * self.n_channels
            self.LinearProjection = nn.Linear(self.input_size, self.latent_size)
            self.class_token = nn.Parameter(torch.randn(self.batch_size, 1,
                                                        self.latent_size).to(self.device))
            self.pos_embedding = nn.Parameter(torch.randn(self.batch_size, 1,
                                                          self.latent_size).to(self.device))

        def forward(self, input_data):
            input_data = input_data.to(self.device)
            patchify = PatchExtractor(patch_size=self.patch_size)
            patches = patchify(input_data)
            linear_projection = self.LinearProjection(patches).to(self.device)
            b, n, _ = linear_projection.shape
            linear_projection = torch.cat((self.class_token, linear_projection), dim=1)
            pos_embed = self.pos_embedding[:, :n + 1, :]
            linear_projection += pos_embed
            return linear_projection

    class EncoderBlock(nn.Module):
        def __init__(self, args):
            super(EncoderBlock, self).__init__()
            self.latent_size = args.latent_size
            self.num_heads = args.num_heads
            self.dropout = args.dropout
            self.norm = nn.LayerNorm(self.latent_size)
            self.attention = nn.MultiheadAttention(self.latent_size, self.num_heads,
                                                   dropout=self.dropout)
            self.enc_MLP = nn.Sequential(
                nn.Linear(self.latent_size, self.latent_size * 4), nn.GELU(),
                nn.Dropout(self.dropout),
                nn.Linear(self.latent_size * 4, self.latent_size), nn.Dropout(self.dropout))

        def forward(self, emb_patches):
            first_norm = self.norm(emb_patches)
            attention_out = self.attention(first_norm, first_norm, first_norm)[0]
            first_added = attention_out + emb_patches
            second_norm = self.norm(first_added)
            mlp_out = self.enc_MLP(second_norm)
            return mlp_out + first_added

    class ViT(nn.Module):
        def __init__(self, args):
            super(ViT, self).__init__()
            self.num_encoders = args.num_encoders
            self.latent_size = args.latent_size
            self.num_classes = args.num_classes
            self.dropout = args.dropout
            self.embedding = InputEmbedding(args)
            self.encoders = nn.ModuleList([EncoderBlock(args) for _ in range(self.num_encoders)])
            self.MLPHead = nn.Sequential(
                nn.LayerNorm(self.latent_size),
                nn.Linear(self.latent_size, self.latent_size),
                nn.Linear(self.latent_size, self.num_classes))

        def forward(self, test_input):
            enc_output = self.embedding(test_input)
            for enc_layer in self.encoders:
                enc_output = enc_layer(enc_output)
            class_token_embed = enc_output[:, 0]
            return self.MLPHead(class_token_embed)

    Args = namedtuple("Args", "patch_size n_channels latent_size num_heads num_encoders dropout "
                              "num_classes batch_size")
    args = Args(4, 3, 16, 4, 2, 0.1, 10, 3)
    torch.manual_seed(0)
    rng = _rng(12)
    model = ViT(args)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=3e-2)
    criterion = nn.CrossEntropyLoss()
    images = _data(torch, rng.random((6, 3, 8, 8)))
    labels = torch.from_numpy(rng.integers(0, 10, 6))
    model.train()
    total_loss = 0.0
    postfix = []
    for t in range(2):
        x, y = images[3 * t:3 * t + 3], labels[3 * t:3 * t + 3]
        optimizer.zero_grad()
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
        postfix.append("%6f" % float(total_loss / (t + 1)))
        log(f"logits {t}", logits)
    log("printed", postfix)
    log("class token grad", model.embedding.class_token.grad)
    model.eval()
    log("eval", model(images[:3]))
    PatchExtractor(patch_size=3)(images)


# ------------------------------------------------------- distributed/minGPT-ddp/mingpt/model.py
def mingpt(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    printed = []

    class GPTConfig:
        def __init__(self, **kw):
            self.model_type, self.vocab_size, self.block_size = 'gpt2', 50257, 1024
            self.n_layer = self.n_head = self.n_embd = None
            self.embd_pdrop = self.resid_pdrop = self.attn_pdrop = 0.1
            self.__dict__.update(kw)

    class MultiheadAttentionLayer(nn.Module):
        def __init__(self, config, device="cpu", dtype=torch.float32):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.resid_drop = nn.Dropout(config.resid_pdrop)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, device=device, dtype=dtype)
            self.register_buffer("mask", torch.tril(torch.ones(config.block_size,
                                                               config.block_size))
                                 .view(1, 1, config.block_size, config.block_size))
            self.attn = torch.nn.MultiheadAttention(
                embed_dim=config.n_embd, num_heads=config.n_head, dropout=config.attn_pdrop,
                batch_first=True, device=device, dtype=dtype)

        def forward(self, x):
            _, seq_size, _ = x.size()
            y = self.attn(x, x, x, attn_mask=self.mask[0, 0, :seq_size, :seq_size])[0]
            return self.resid_drop(self.c_proj(y))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln1 = nn.LayerNorm(config.n_embd)
            self.ln2 = nn.LayerNorm(config.n_embd)
            self.attn = MultiheadAttentionLayer(config)
            self.mlp = nn.Sequential(
                nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(),
                nn.Linear(4 * config.n_embd, config.n_embd), nn.Dropout(config.resid_pdrop))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class EmbeddingStem(nn.Module):
        def __init__(self, config, device="cpu", dtype=torch.float32):
            super().__init__()
            self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd, device=device,
                                        dtype=dtype)
            self.pos_emb = nn.Parameter(torch.zeros(1, config.block_size, config.n_embd,
                                                    device=device, dtype=dtype))
            self.drop = nn.Dropout(config.embd_pdrop)
            self.block_size = config.block_size

        def forward(self, idx):
            b, t = idx.size()
            assert t <= self.block_size, \
                f"Cannot forward sequence of length {t}, block size is only {self.block_size}"
            token_embeddings = self.tok_emb(idx)
            position_embeddings = self.pos_emb[:, :t, :]
            return self.drop(token_embeddings + position_embeddings)

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.block_size = config.block_size
            self.emb_stem = EmbeddingStem(config)
            self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
            self.ln_f = nn.LayerNorm(config.n_embd)
            self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith('c_proj.weight'):
                    p.data.normal_(mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
            n_params = sum(p.numel() for p in self.blocks.parameters())
            printed.append("number of parameters: %.2fM" % (n_params / 1e6,))

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)

        def forward(self, idx, targets=None):
            x = self.emb_stem(idx)
            x = self.blocks(x)
            x = self.ln_f(x)
            logits = self.head(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            return logits, loss

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, top_k)
                    logits[logits < v[:, [-1]]] = -float('Inf')
                probs = F.softmax(logits, dim=-1)
                if do_sample:
                    idx_next = torch.multinomial(probs, num_samples=1)
                else:
                    _, idx_next = torch.topk(probs, k=1, dim=-1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    def create_optimizer(model, learning_rate=3e-4, weight_decay=0.1):
        decay = set()
        no_decay = set()
        whitelist_weight_modules = (torch.nn.Linear, )
        blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
        for mn, m in model.named_modules():
            for pn, p in m.named_parameters():
                fpn = '%s.%s' % (mn, pn) if mn else pn
                if pn.endswith('bias'):
                    no_decay.add(fpn)
                elif pn.endswith('weight') and isinstance(m, whitelist_weight_modules):
                    decay.add(fpn)
                elif pn.endswith('in_proj_weight'):
                    decay.add(fpn)
                elif pn.endswith('weight') and isinstance(m, blacklist_weight_modules):
                    no_decay.add(fpn)
                elif pn.endswith('pos_emb'):
                    no_decay.add(fpn)
        param_dict = {pn: p for pn, p in model.named_parameters()}
        inter_params = decay & no_decay
        union_params = decay | no_decay
        assert len(inter_params) == 0
        assert len(param_dict.keys() - union_params) == 0, \
            "parameters %s were not separated into either decay/no_decay set!" \
            % (str(param_dict.keys() - union_params), )
        optim_groups = [
            {"params": [param_dict[pn] for pn in sorted(list(decay))],
             "weight_decay": weight_decay},
            {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=(0.9, 0.95)), \
            sorted(decay), sorted(no_decay)

    torch.manual_seed(0)
    rng = _rng(13)
    config = GPTConfig(n_layer=2, n_head=2, n_embd=8, vocab_size=11, block_size=6)
    model = GPT(config)
    optimizer, decay, no_decay = create_optimizer(model)
    log("decay", decay)
    log("no_decay", no_decay)
    data = torch.from_numpy(rng.integers(0, 11, (3, 7)))
    x, y = data[:, :-1], data[:, 1:].clone()
    y[0, 0] = -1
    for step in range(2):
        logits, loss = model(x, y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        log(f"loss {step}", loss)
    log("head grad", model.head.weight.grad)
    log("in_proj grad", model.blocks[0].attn.attn.in_proj_weight.grad)
    model.eval()
    log("greedy", model.generate(x[:, :2], 5))
    log("sampled", model.generate(x[:, :2], 5, temperature=0.8, do_sample=True, top_k=3))
    log("printed", printed)


# -------------------------------------------------- mnist_hogwild/main.py and train.py, one process
def mnist_hogwild(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    Args = namedtuple("Args", "seed batch_size lr momentum epochs log_interval")
    args = Args(1, 4, 0.01, 0.5, 1, 2)
    printed = []

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    def train_epoch(epoch, args, model, data_loader, optimizer):
        model.train()
        pid = 1234                                    # (os.getpid())
        for batch_idx, (data, target) in enumerate(data_loader):
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            if batch_idx % args.log_interval == 0:
                printed.append('{}\tTrain Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                    pid, epoch, batch_idx * len(data), len(data_loader.dataset),
                    100. * batch_idx / len(data_loader), loss.item()))

    def test_epoch(model, data_loader):
        model.eval()
        test_loss = 0
        correct = 0
        with torch.no_grad():
            for data, target in data_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, size_average=False).item()
                pred = output.max(1)[1]
                correct += pred.eq(target).sum().item()
        test_loss /= len(data_loader.dataset)
        printed.append('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
            test_loss, correct, len(data_loader.dataset),
            100. * correct / len(data_loader.dataset)))

    def train(rank, args, model, dataset):
        torch.manual_seed(args.seed + rank)
        train_loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size,
                                                   shuffle=True)
        test_loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size,
                                                  shuffle=True)
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
        for epoch in range(1, args.epochs + 1):
            train_epoch(epoch, args, model, train_loader, optimizer)
            test_epoch(model, test_loader)

    rng = _rng(14)
    dataset = torch.utils.data.TensorDataset(_images(torch, rng, 10, 1, 28, 28),
                                             torch.from_numpy(rng.integers(0, 10, 10)))
    torch.manual_seed(args.seed)
    model = Net()
    model.share_memory()
    log("shared", model.fc1.weight.is_shared())
    for rank in range(2):                 # (mp.Process(target=train, args=(rank, ...)) each)
        train(rank, args, model, dataset)
    log("printed", printed)
    log("fc2 weight", model.fc2.weight)


# ------------------------------------------------------------- the examples' device selection
def device_selection(torch, log):
    use_cuda = torch.cuda.is_available()
    use_mps = torch.backends.mps.is_available()
    use_xpu = torch.xpu.is_available()
    use_accel = torch.accelerator.is_available()
    log("available", [use_cuda, use_mps, use_xpu, use_accel])
    if use_cuda:
        device = torch.device("cuda")
    elif use_mps:
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    log("printed", [f'Using {device} device', str(torch.device('cpu')), repr(device)])
    torch.backends.cudnn.benchmark = True
    log("device count", torch.cuda.device_count())
    kwargs = {'num_workers': 1, 'pin_memory': True} if use_cuda else {}
    log("kwargs", kwargs)
    model = torch.nn.Linear(2, 2).to(device)
    log("param device", str(next(model.parameters()).device))
    log("device type", device.type)
    log("index", device.index)
    torch.device("cuda" if use_cuda else "cpu")
    torch.cuda.manual_seed(1)
    torch.xpu.manual_seed(1)
    log("seeded", torch.rand(1).shape[0])
    torch.xpu.synchronize()


def to_cuda(torch, log):
    """``model.to(device)`` with a GPU asked for where there is none."""
    torch.zeros(1).to(torch.device("cuda"))


# --------------------------------------------- siamese_network/main.py: the APP_MATCHER dataset
def siamese_dataset(torch, log):
    import random
    Dataset = torch.utils.data.Dataset

    class FakeMNIST:                              # (datasets.MNIST's data and targets)
        def __init__(self, rng, n=30):
            self.data = torch.from_numpy(rng.integers(0, 256, (n, 28, 28)).astype(np.uint8))
            self.targets = torch.from_numpy(np.arange(n) % 10)

    class APP_MATCHER(Dataset):
        def __init__(self, rng):
            super(APP_MATCHER, self).__init__()
            self.dataset = FakeMNIST(rng)
            self.data = self.dataset.data.unsqueeze(1).clone()
            self.group_examples()

        def group_examples(self):
            np_arr = np.array(self.dataset.targets.clone())
            self.grouped_examples = {}
            for i in range(0, 10):
                self.grouped_examples[i] = np.where((np_arr == i))[0]

        def __len__(self):
            return self.data.shape[0]

        def __getitem__(self, index):
            selected_class = random.randint(0, 9)
            random_index_1 = random.randint(0, self.grouped_examples[selected_class].shape[0] - 1)
            index_1 = self.grouped_examples[selected_class][random_index_1]
            image_1 = self.data[index_1].clone().float()
            if index % 2 == 0:
                random_index_2 = random.randint(
                    0, self.grouped_examples[selected_class].shape[0] - 1)
                while random_index_2 == random_index_1:
                    random_index_2 = random.randint(
                        0, self.grouped_examples[selected_class].shape[0] - 1)
                index_2 = self.grouped_examples[selected_class][random_index_2]
                image_2 = self.data[index_2].clone().float()
                target = torch.tensor(1, dtype=torch.float)
            else:
                other_selected_class = random.randint(0, 9)
                while other_selected_class == selected_class:
                    other_selected_class = random.randint(0, 9)
                random_index_2 = random.randint(
                    0, self.grouped_examples[other_selected_class].shape[0] - 1)
                index_2 = self.grouped_examples[other_selected_class][random_index_2]
                image_2 = self.data[index_2].clone().float()
                target = torch.tensor(0, dtype=torch.float)
            return image_1, image_2, target

    random.seed(1)
    torch.manual_seed(1)
    dataset = APP_MATCHER(_rng(16))
    log("grouped", [list(map(int, dataset.grouped_examples[i])) for i in (0, 9)])
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    log("len", [len(loader), len(loader.dataset)])
    for batch_idx, (images_1, images_2, targets) in enumerate(loader):
        if batch_idx == 2:
            break
        log(f"batch {batch_idx}", [images_1.sum(dim=(1, 2, 3)), images_2[:, 0, 3], targets])
        log(f"dtypes {batch_idx}", [images_1.dtype, targets.dtype, images_1.shape[1]])


# ------------------------------------- distributed/ddp-tutorial-series/multigpu.py: the sampler
def ddp_sampler(torch, log):
    DistributedSampler = torch.utils.data.distributed.DistributedSampler
    dataset = torch.utils.data.TensorDataset(torch.arange(11.).view(11, 1))
    for rank in range(3):
        sampler = DistributedSampler(dataset, num_replicas=3, rank=rank, seed=5)
        train_data = torch.utils.data.DataLoader(dataset, batch_size=2, pin_memory=False,
                                                 shuffle=False, sampler=sampler)
        for epoch in range(2):
            b_sz = len(next(iter(train_data))[0])
            train_data.sampler.set_epoch(epoch)
            log(f"rank {rank} epoch {epoch}", [b_sz, len(train_data), list(iter(sampler))])
            log(f"batches {rank} {epoch}", [b[0].view(-1) for b in train_data])
        dropped = DistributedSampler(dataset, num_replicas=3, rank=rank, shuffle=False,
                                     drop_last=True)
        log(f"drop_last {rank}", [len(dropped), list(iter(dropped))])
    DistributedSampler(dataset, num_replicas=3, rank=3)


# ------------------------------------- fast_neural_style/neural_style/neural_style.py: stylize
def neural_style_stylize(torch, log):
    import re as re_
    nn = torch.nn

    class Small(nn.Module):                   # (TransformerNet's kinds of layers)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
            self.in1 = nn.InstanceNorm2d(4, affine=True)
            self.in2 = nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
            self.deconv = nn.Conv2d(4, 3, 1)

        def forward(self, x):
            return self.deconv(torch.relu(self.in2(self.in1(self.conv1(x)))))

    torch.manual_seed(0)
    trained = Small()
    trained.in1.weight.data.uniform_()
    trained(torch.rand(1, 3, 5, 5) * 255)          # (in2's running statistics move)
    state_dict = trained.state_dict()
    # a checkpoint of an older torch, whose InstanceNorm kept running statistics
    state_dict["in1.running_mean"] = torch.zeros(4)
    state_dict["in1.running_var"] = torch.ones(4)
    log("keys", list(state_dict))
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    with torch.no_grad():
        style_model = Small()
        state_dict = torch.load(buffer)
        for k in list(state_dict.keys()):
            if re_.search(r'in\d+\.running_(mean|var)$', k):
                del state_dict[k]
        log("kept", list(state_dict))
        result = style_model.load_state_dict(state_dict, strict=False)
        log("missing", [result.missing_keys, result.unexpected_keys])
        style_model.eval()
        content_image = torch.rand(3, 6, 5).mul(255)
        content_image = content_image.unsqueeze(0)
        output = style_model(content_image).cpu()
    log("output", output)
    img = output[0].clone().clamp(0, 255).numpy()
    log("saved image", img.transpose(1, 2, 0).astype("uint8").astype(np.float64).tolist())
    state_dict["in1.running_mean"] = torch.zeros(4)
    Small().load_state_dict(state_dict)


# ---------------------------------------------------------- reinforcement_learning/reinforce.py
def reinforce(torch, log):
    from collections import deque
    nn = torch.nn
    F = torch.nn.functional
    Categorical = torch.distributions.Categorical

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(4, 128)
            self.dropout = nn.Dropout(p=0.6)
            self.affine2 = nn.Linear(128, 2)
            self.saved_log_probs = []
            self.rewards = []

        def forward(self, x):
            x = self.affine1(x)
            x = self.dropout(x)
            x = F.relu(x)
            action_scores = self.affine2(x)
            return F.softmax(action_scores, dim=1)

    torch.manual_seed(543)
    policy = Policy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    gamma = 0.99

    def select_action(state):
        state = torch.from_numpy(state).float().unsqueeze(0)
        probs = policy(state)
        m = Categorical(probs)
        action = m.sample()
        policy.saved_log_probs.append(m.log_prob(action))
        return action.item()

    def finish_episode():
        R = 0
        policy_loss = []
        returns = deque()
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.appendleft(R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for log_prob, R in zip(policy.saved_log_probs, returns):
            policy_loss.append(-log_prob * R)
        optimizer.zero_grad()
        policy_loss = torch.cat(policy_loss).sum()
        policy_loss.backward()
        optimizer.step()
        del policy.rewards[:]
        del policy.saved_log_probs[:]
        return policy_loss

    rng = _rng(17)
    running_reward = 10
    lines, actions = [], []
    for i_episode in range(1, 5):
        state, ep_reward = rng.standard_normal(4), 0
        for t in range(1, 10000):
            action = select_action(state)
            actions.append(action)
            state = state + (0.2 if action else -0.2) + 0.1 * rng.standard_normal(4)
            reward = float(1.0 - abs(state[2]))
            policy.rewards.append(reward)
            ep_reward += reward
            if t == 4 + i_episode:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        log(f"loss {i_episode}", finish_episode())
        lines.append('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}'.format(
            i_episode, ep_reward, running_reward))
    log("actions", actions)
    log("printed", lines)
    log("affine2 grad", policy.affine2.weight.grad)


# ------------------------------------------- imagenet/main.py of torch 0.3 (legacy idioms) today
def imagenet_legacy(torch, log):
    Variable = torch.autograd.Variable
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 4)
    criterion = torch.nn.CrossEntropyLoss()
    input, target = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 0, 1])
    input_var = torch.autograd.Variable(input, volatile=True)
    target_var = torch.autograd.Variable(target)
    output = model(input_var)
    log("requires_grad", [input_var.requires_grad, output.requires_grad])
    loss = criterion(output, target_var)
    log("output.data", output.data)
    log("Variable is Tensor", isinstance(Variable(input), torch.Tensor))
    loss.data[0]                        # (losses.update(loss.data[0], ...): torch 0.3's)


# -------------------------------------------- word_language_model/model.py and main.py's loop
def word_language_model(torch, log):
    nn = torch.nn
    F = torch.nn.functional

    class RNNModel(nn.Module):
        def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5,
                     tie_weights=False):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ['LSTM', 'GRU']:
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            else:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity,
                                  dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            self.init_weights()
            self.rnn_type = rnn_type
            self.nhid = nhid
            self.nlayers = nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == 'LSTM':
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super(PositionalEncoding, self).__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() *
                                 (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer('pe', pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead,
                                                   dim_feedforward=nhid,
                                                   num_encoder_layers=nlayers,
                                                   num_decoder_layers=1)   # (default 6)
            self.model_type = 'Transformer'
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout, max_len=40)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
            return mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(
                mask == 1, float(0.0))

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                device = src.device
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    mask = self._generate_square_subsequent_mask(len(src)).to(device)
                    self.src_mask = mask
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return F.log_softmax(output, dim=-1)

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        return data.view(bsz, -1).t().contiguous()

    def get_batch(source, i, bptt=5):
        seq_len = min(bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].view(-1)
        return data, target

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    ntokens = 13
    corpus = torch.from_numpy(_rng(18).integers(0, ntokens, 61))
    train_data = batchify(corpus, 3)
    log("batchified", train_data)
    criterion = nn.NLLLoss()
    for name in ("LSTM", "GRU", "RNN_TANH", "Transformer"):
        torch.manual_seed(1111)
        if name == "Transformer":
            model = TransformerModel(ntokens, 8, 2, 16, 2, 0.2)
        else:
            model = RNNModel(name, ntokens, 8, 8, 2, 0.2, tie_weights=name == "LSTM")
        model.train()
        total_loss, lr, lines = 0., 20, []
        if name != "Transformer":
            hidden = model.init_hidden(3)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, 5)):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            if name == "Transformer":
                output = model(data)
                output = output.view(-1, ntokens)
            else:
                hidden = repackage_hidden(hidden)
                output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            total_loss += loss.item()
            if batch % 2 == 1:
                cur_loss = total_loss / 2
                lines.append('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | loss {:5.2f} | '
                             'ppl {:8.2f}'.format(1, batch, len(train_data) // 5, lr, cur_loss,
                                                  math.exp(cur_loss)))
                total_loss = 0
        log(f"{name} printed", lines)
        log(f"{name} loss", loss)
        log(f"{name} decoder", model.decoder.weight)
    log("tied", model_is_tied(torch))


def model_is_tied(torch):
    """(word_language_model's --tied: the decoder's weight is the encoder's Parameter)"""
    encoder, decoder = torch.nn.Embedding(4, 3), torch.nn.Linear(3, 4)
    decoder.weight = encoder.weight
    m = torch.nn.ModuleDict({"encoder": encoder, "decoder": decoder})
    return [len(list(m.parameters())), list(m.state_dict())]


# ----------------------------------------- OpenNMT (pytorch/examples of 2017): attention, loss
def opennmt_legacy(torch, log):
    nn = torch.nn
    Variable = torch.autograd.Variable

    class GlobalAttention(nn.Module):
        def __init__(self, dim):
            super(GlobalAttention, self).__init__()
            self.linear_in = nn.Linear(dim, dim, bias=False)
            self.sm = nn.Softmax()
            self.linear_out = nn.Linear(dim * 2, dim, bias=False)
            self.tanh = nn.Tanh()
            self.mask = None

        def applyMask(self, mask):
            self.mask = mask

        def forward(self, input, context):
            targetT = self.linear_in(input).unsqueeze(2)  # batch x dim x 1
            attn = torch.bmm(context, targetT).squeeze(2)  # batch x sourceL
            if self.mask is not None:
                attn.data.masked_fill_(self.mask, -float('inf'))
            attn = self.sm(attn)
            attn3 = attn.view(attn.size(0), 1, attn.size(1))  # batch x 1 x sourceL
            weightedContext = torch.bmm(attn3, context).squeeze(1)  # batch x dim
            contextCombined = torch.cat((weightedContext, input), 1)
            contextOutput = self.tanh(self.linear_out(contextCombined))
            return contextOutput, attn

    class StackedLSTM(nn.Module):
        def __init__(self, num_layers, input_size, rnn_size, dropout):
            super(StackedLSTM, self).__init__()
            self.dropout = nn.Dropout(dropout)
            self.num_layers = num_layers
            self.layers = nn.ModuleList()
            for i in range(num_layers):
                self.layers.append(nn.LSTMCell(input_size, rnn_size))
                input_size = rnn_size

        def forward(self, input, hidden):
            h_0, c_0 = hidden
            h_1, c_1 = [], []
            for i, layer in enumerate(self.layers):
                h_1_i, c_1_i = layer(input, (h_0[i], c_0[i]))
                input = h_1_i
                if i + 1 != self.num_layers:
                    input = self.dropout(input)
                h_1 += [h_1_i]
                c_1 += [c_1_i]
            h_1 = torch.stack(h_1)
            c_1 = torch.stack(c_1)
            return input, (h_1, c_1)

    def NMTCriterion(vocabSize):
        weight = torch.ones(vocabSize)
        weight[0] = 0                     # (onmt.Constants.PAD)
        return nn.NLLLoss(weight, size_average=False)

    def memoryEfficientLoss(outputs, targets, generator, crit, eval=False):
        outputs = Variable(outputs.data, requires_grad=(not eval), volatile=eval)
        batch_size = outputs.size(1)
        outputs_split = torch.split(outputs, 2)
        targets_split = torch.split(targets, 2)
        loss = 0
        for out_t, targ_t in zip(outputs_split, targets_split):
            out_t = out_t.view(-1, out_t.size(2))
            pred_t = generator(out_t)
            loss_t = crit(pred_t, targ_t.view(-1))
            loss += loss_t.item()
            if not eval:
                loss_t.div(batch_size).backward()
        grad_output = None if outputs.grad is None else outputs.grad.data
        return loss, grad_output

    torch.manual_seed(3435)
    rng = _rng(19)
    dim, vocab, batch = 6, 7, 3
    emb = nn.Embedding(vocab, dim, padding_idx=0)
    rnn = StackedLSTM(2, dim, dim, 0.3)
    attn = GlobalAttention(dim)
    generator = nn.Sequential(nn.Linear(dim, vocab), nn.LogSoftmax())
    params = [*emb.parameters(), *rnn.parameters(), *attn.parameters(),
              *generator.parameters()]
    for p in params:
        p.data.uniform_(-0.1, 0.1)
    optim = torch.optim.SGD(params, lr=1.0)
    context = _images(torch, rng, batch, 5, dim)
    tgt = torch.from_numpy(rng.integers(0, vocab, (4, batch)))
    mask = torch.from_numpy(np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 5]))
    attn.applyMask(mask)
    crit = NMTCriterion(vocab)
    hidden = (torch.zeros(2, batch, dim), torch.zeros(2, batch, dim))
    outputs, output = [], torch.zeros(batch, dim)
    for emb_t in emb(tgt).split(1):
        emb_t = emb_t.squeeze(0)
        emb_t = torch.cat([emb_t, output], 1)[:, :dim]
        output, hidden = rnn(emb_t, hidden)
        output, attn_w = attn(output, context)
        outputs += [output]
    outputs = torch.stack(outputs)
    log("attention", attn_w)
    loss, gradOutput = memoryEfficientLoss(outputs, tgt, generator, crit)
    outputs.backward(gradOutput)
    log("loss", loss)
    log("grad_norm", torch.nn.utils.clip_grad_norm(params, 5))
    optim.step()
    log("linear_in grad", attn.linear_in.weight.grad)
    log("embedding", emb.weight)


# ------------------------------------------------------------- swin_transformer/swin_transformer.py
def swin_transformer(torch, log):
    nn = torch.nn
    F = torch.nn.functional

    class PatchEmbed(nn.Module):
        def __init__(self, img_size=32, patch_size=4, in_chans=3, embed_dim=48):
            super().__init__()
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
            self.norm = nn.LayerNorm(embed_dim)

        def forward(self, x):
            x = self.proj(x)
            x = x.flatten(2).transpose(1, 2)
            return self.norm(x)

    def window_partition(x, window_size):
        B, H, W, C = x.shape
        x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)

    def window_reverse(windows, window_size, H, W):
        B = int(windows.shape[0] / (H * W / window_size / window_size))
        x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)

    class WindowAttention(nn.Module):
        def __init__(self, dim, window_size, num_heads):
            super().__init__()
            self.num_heads = num_heads
            head_dim = dim // num_heads
            self.scale = head_dim ** -0.5
            self.qkv = nn.Linear(dim, dim * 3)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x):
            B_, N, C = x.shape
            qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            attn = (q @ k.transpose(-2, -1)) * self.scale
            attn = attn.softmax(dim=-1)
            out = (attn @ v).transpose(1, 2).reshape(B_, N, C)
            return self.proj(out)

    class SwinTransformerBlock(nn.Module):
        def __init__(self, dim, input_resolution, num_heads, window_size=4, shift_size=0):
            super().__init__()
            self.dim = dim
            self.input_resolution = input_resolution
            self.window_size = window_size
            self.shift_size = shift_size
            self.norm1 = nn.LayerNorm(dim)
            self.attn = WindowAttention(dim, window_size, num_heads)
            self.norm2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

        def forward(self, x):
            H, W = self.input_resolution
            B, L, C = x.shape
            x = x.view(B, H, W, C)
            if self.shift_size > 0:
                shifted_x = torch.roll(x, (-self.shift_size, -self.shift_size), (1, 2))
            else:
                shifted_x = x
            windows = window_partition(shifted_x, self.window_size)
            windows = windows.view(-1, self.window_size * self.window_size, C)
            attn_windows = self.attn(self.norm1(windows))
            attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
            shifted_x = window_reverse(attn_windows, self.window_size, H, W)
            if self.shift_size > 0:
                x = torch.roll(shifted_x, (self.shift_size, self.shift_size), (1, 2))
            else:
                x = shifted_x
            x = x.view(B, H * W, C)
            return x + self.mlp(self.norm2(x))

    class SwinTinyNet(nn.Module):
        def __init__(self, num_classes=10):
            super(SwinTinyNet, self).__init__()
            self.patch_embed = PatchEmbed(img_size=32, patch_size=4, in_chans=3, embed_dim=48)
            self.block1 = SwinTransformerBlock(dim=48, input_resolution=(8, 8), num_heads=3,
                                               window_size=4, shift_size=0)
            self.block2 = SwinTransformerBlock(dim=48, input_resolution=(8, 8), num_heads=3,
                                               window_size=4, shift_size=2)
            self.norm = nn.LayerNorm(48)
            self.fc = nn.Linear(48, num_classes)

        def forward(self, x):
            x = self.patch_embed(x)
            x = self.block1(x)
            x = self.block2(x)
            x = self.norm(x)
            x = x.mean(dim=1)
            x = self.fc(x)
            return F.log_softmax(x, dim=1)

    use_accel = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    lines = [f"Using device: {device}"]
    torch.manual_seed(42)
    rng = _rng(20)
    data = _data(torch, (rng.random((6, 3, 32, 32)) - 0.5) / 0.5)
    target = torch.from_numpy(rng.integers(0, 10, 6))
    model = SwinTinyNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.7)
    model.train()
    for batch_idx in range(2):
        d, t = data[3 * batch_idx:3 * batch_idx + 3], target[3 * batch_idx:3 * batch_idx + 3]
        optimizer.zero_grad()
        output = model(d)
        loss = F.nll_loss(output, t)
        loss.backward()
        optimizer.step()
        lines.append('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
            1, batch_idx * len(d), 6, 100. * batch_idx / 2, loss.item()))
    model.eval()
    with torch.no_grad():
        output = model(data)
        test_loss = F.nll_loss(output, target, reduction='sum').item() / 6
        pred = output.argmax(dim=1, keepdim=True)
        correct = pred.eq(target.view_as(pred)).sum().item()
    lines.append('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, 6, 100. * correct / 6))
    scheduler.step()
    log("printed", lines)
    log("output", output)
    log("qkv grad", model.block2.attn.qkv.weight.grad)


# ------------------------------------------------------------------------------ the harness
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _same_printed(mine, ref, tol, label):
    """Printed lines: the same text between the numbers; each integer (a count, an epoch, a
    percentage printed with ``{:.0f}``) torch's, each other number within ``tol`` of torch's
    (relative) or one unit of its last printed digit."""
    assert isinstance(mine, list) and isinstance(ref, list) and len(mine) == len(ref), \
        f"{label}: {mine!r} vs {ref!r}"
    for a, b in zip(mine, ref):
        assert _NUMBER.sub("#", a) == _NUMBER.sub("#", b), f"{label}: {a!r} != {b!r}"
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)):
            if not re.search("[.eE]", y):
                assert x == y, f"{label}: {a!r} != {b!r}"
                continue
            mantissa = re.split("[eE]", y)[0]
            digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
            unit = 10.0 ** -digits * (10.0 ** int(re.split("[eE]", y)[1]) if "e" in y.lower()
                                      else 1.0)
            assert abs(float(x) - float(y)) <= max(unit, tol * abs(float(y))) * (1 + 1e-9), \
                f"{label}: {a!r} != {b!r}"


def compare(program, tol):
    """``program`` on this library and on torch: the same error (class and torch's first
    sentence), warnings, labels and rows (numbers within ``tol`` of each row's scale)."""
    mine, ref = run(program, tg), run(program, real_torch)
    assert (mine[2] is None) == (ref[2] is None), (mine[2], ref[2])
    if ref[2] is not None:
        _diff(_norm(mine[2]), _norm(ref[2]), "error")
    theirs = [w for w in ref[1] if not torchs_own(w) and "__array__ implementation" not in w]
    assert len(mine[1]) == len(theirs), (mine[1], theirs)     # (NumPy 2 on torch's __array__)
    for a, b in zip(mine[1], theirs):
        assert _first_sentence(b) in a, (a, b)
    assert [r[0] for r in mine[0]] == [r[0] for r in ref[0]]
    worst = 0.0
    for (label, a), (_, b) in zip(mine[0], ref[0]):
        if label == "printed":
            _same_printed(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b],
                          tol, label)
            continue
        row = _diff(a, b, label)
        assert row <= tol, (label, row, tol)
        worst = max(worst, row)
    return worst


# (program, tolerance: the largest difference from torch in a row, relative to the row's
# largest magnitude). float32 programs: a step of a small model agrees to about 1 ulp (2**-23);
# batch sums, Adam's division by a running root mean square and a few training steps move that
# to a few ulps. Printed strings must match exactly. Where a program trains a deeper net for
# several steps (a ResNet, an LSTM, a Transformer) the rounding of its BLAS sums compounds
# through the steps, stated per program below. (a): the gradients after the last step differ
# by up to ~600 (siamese) and ~170 (style) float32 ulps of the row's largest; the same programs
# in float64 (FLOAT64 below) agree to 2e-13 and 4e-15: rounding amplified by the training
# (batch norm over 4 values, Adadelta's lr=1, a 1e10 loss scale), not a different formula.
# (b) the gradients after 4 steps, ~11 ulps; 1e-15 in float64. (c) the first episode's policy
# loss, 0.15, is a sum of terms of order 1 (its returns normalised to mean 0): 2 ulps of those
# terms are 11 of the sum. (d) on an Intel CPU torch's small products fuse their multiply-adds
# (helpers.INTEL_CPU): its "loss 4" row 5.8 ulps apart there.
PROGRAMS = [
    (regression, 4 * F32),
    (to_cuda, 0.0),
    (super_resolution, 16 * F32),        # orthogonal init by QR, 2 Adam steps through 4 convs
    (siamese_network, 1024 * F32),       # (a) batch norm of 4 one-pixel maps, Adadelta lr=1
    (mnist_forward_forward, 4 * F32),
    (gcn, 4 * F32),
    (gat, 4 * F32),
    (mnist_rnn, 32 * F32),               # (b) 28 LSTM steps, batch norm, 4 Adadelta steps
    (imagenet_training, 4 * F32),
    (imagenet_old_accuracy, 0.0),
    (actor_critic, (8 if INTEL_CPU else 4) * F32),   # (d)
    (fast_neural_style, 256 * F32),      # (a) gram losses scaled by 1e10, instance norms
    (snli, 4 * F32),
    (language_translation, 8 * F32),     # two-layer encoder/decoder, masks, 2 Adam steps
    (ddp_single_gpu, 4 * F32),
    (mass_spring, 4 * F32),
    (vision_transformer, 8 * F32),       # 2 Adam steps of a 2-block ViT
    (mingpt, 8 * F32),                   # 2 AdamW steps of a 2-block GPT
    (mnist_hogwild, 4 * F32),
    (device_selection, 0.0),
    (siamese_dataset, 0.0),
    (ddp_sampler, 0.0),
    (neural_style_stylize, 4 * F32),
    (reinforce, 16 * F32),               # (c) a loss that cancels
    (imagenet_legacy, 4 * F32),
    (word_language_model, 16 * F32),     # lr=20 SGD steps (Transformer: 13 ulps with the
                                         # NumPy kernels' summation order, 3 with the default)
    (opennmt_legacy, 4 * F32),
    (swin_transformer, 8 * F32),         # 2 Adam steps (lr=0.01) of two Swin blocks
]

def in_float64(program):
    """``program`` run with float64 as the default dtype (weights and data): the float32
    differences of the deeper programs must shrink to float64 rounding, showing they are
    rounding amplified by training, not a wrong formula."""
    def run_in_float64(torch, log):
        saved = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            program(torch, log)
        finally:
            torch.set_default_dtype(saved)
    run_in_float64.__name__ = f"{program.__name__}_float64"
    return run_in_float64


FLOAT64 = [(in_float64(p), 4096 * F64) for p in (super_resolution, siamese_network, mnist_rnn,
                                                   fast_neural_style, language_translation,
                                                   vision_transformer, mingpt)]
# (not word_language_model: its positional encoding is float32 by the example's own
# ``dtype=torch.float`` / ``.float()``, and float32 sin/cos are within an ulp of torch's, not
# its bits (README, "Guarantees"): that ulp stays visible in a float64 run)

XFAIL = [
    pytest.param(super_resolve, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="Tensor.numpy() of a tensor requiring grad is a read-only view "
                            "(a deliberate difference: the suite reads w.numpy()), where "
                            "torch refuses it (RuntimeError); without grad it is writable "
                            "and shares memory, as torch's")),
    pytest.param(gcn_sparse, 0.0, marks=pytest.mark.xfail(
        strict=True, reason="no sparse tensors: sparse_coo_tensor, to_sparse and spmm of a "
                            "sparse matrix (the example's load_cora) are missing")),
]


@pytest.mark.parametrize("program,tol", PROGRAMS + FLOAT64,
                         ids=lambda p: getattr(p, "__name__", ""))
def test_example_prints_torchs_numbers(program, tol):
    compare(program, tol)


@pytest.mark.parametrize("program,tol", XFAIL, ids=lambda p: getattr(p, "__name__", ""))
def test_example_differences_left(program, tol):
    compare(program, tol)


# -------------------- what language_translation in float64 found: a mask of another float dtype
def _attention_outcome(lib, qname, mname, need_weights, padding, sdpa):
    lib.manual_seed(0)
    q = lib.randn(*((2, 3, 4) if sdpa else (3, 2, 4)), dtype=getattr(lib, qname))
    mask = lib.zeros(3, 3, dtype=getattr(lib, mname))
    mask[0, 2] = float("-inf") if mname != "bool" else True
    try:
        if sdpa:
            out = lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=mask)
        else:
            mha = lib.nn.MultiheadAttention(4, 2, dtype=getattr(lib, qname))
            pad = lib.tensor([[False, False, True], [False] * 3]) if padding else None
            out = mha(q, q, q, attn_mask=mask, key_padding_mask=pad,
                      need_weights=need_weights)[0]
    except RuntimeError as e:
        return type(e).__name__, str(e)
    return str(out.dtype).rsplit(".", 1)[-1], out.detach().double().numpy()


@pytest.mark.parametrize("qname,mname,need_weights,padding,sdpa", [
    (q, m, nw, pad, False) for q in ("float64", "float32") for m in ("float32", "float16",
                                                                     "float64", "bool")
    for nw in (True, False) for pad in (True, False)] + [
    (q, m, False, False, True) for q, m in (("float64", "float32"), ("float32", "float64"),
                                            ("float16", "float32"), ("float64", "float16"))])
def test_attention_masks_of_another_dtype_as_torch(qname, mname, need_weights, padding, sdpa):
    """torch's scaled_dot_product_attention takes a mask that is bool, float32 or of the
    query's dtype; multi-head attention merges a padding mask by adding (promoting), and with
    weights adds the mask by baddbmm (one dtype for all): the same outcomes here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # (the mismatched-masks warning: see language_translation)
        mine = _attention_outcome(tg, qname, mname, need_weights, padding, sdpa)
        ref = _attention_outcome(real_torch, qname, mname, need_weights, padding, sdpa)
    assert mine[0] == ref[0], (mine, ref)
    if mine[0] == "RuntimeError":
        assert _first_sentence(ref[1]).replace("torch.", "") in mine[1]
    else:
        tol = {"float64": 16 * F64, "float32": 4 * F32}.get(qname, 2.0 ** -8)
        np.testing.assert_allclose(mine[1], ref[1], rtol=tol, atol=tol)


# ------------------------------------------ examples as scripts, `import torch`, through the runner
SCRIPT = '''
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler
from torch.hub import tqdm

use_cuda = torch.cuda.is_available()
use_xpu = torch.xpu.is_available()
use_mps = torch.backends.mps.is_available()
if use_cuda:
    device = torch.device("cuda")
elif use_xpu:
    device = torch.device("xpu")
elif use_mps:
    device = torch.device("mps")
else:
    device = torch.device("cpu")
print(f"Using {device} device")


class MassSpringSystem(nn.Module):
    def __init__(self, num_particles, springs, mass=1.0, dt=0.01, gravity=9.81, device="cpu"):
        super().__init__()
        self.device = device
        self.mass = mass
        self.springs = springs
        self.dt = dt
        self.gravity = gravity
        self.initial_position_0 = torch.tensor([0.0, 0.0], device=device)
        self.initial_positions_rest = nn.Parameter(torch.randn(num_particles - 1, 2,
                                                               device=device))
        self.velocities = torch.zeros(num_particles, 2, device=device)

    def forward(self, steps):
        positions = torch.cat([self.initial_position_0.unsqueeze(0),
                               self.initial_positions_rest], dim=0)
        velocities = self.velocities
        for _ in range(steps):
            forces = torch.zeros_like(positions)
            for (i, j, rest_length, stiffness) in self.springs:
                xi, xj = positions[i], positions[j]
                dir_vec = xj - xi
                dist = dir_vec.norm()
                force = stiffness * (dist - rest_length) * dir_vec / (dist + 1e-6)
                forces[i] += force
                forces[j] -= force
            forces[:, 1] -= self.gravity * self.mass
            acceleration = forces / self.mass
            velocities = velocities + acceleration * self.dt
            positions = positions + velocities * self.dt
            positions[0] = self.initial_position_0
            velocities[0] = torch.tensor([0.0, 0.0], device=positions.device)
        return positions


torch.manual_seed(0)
system = MassSpringSystem(num_particles=2, springs=[(0, 1, 1.0, 10.0)], device=device)
optimizer = optim.Adam(system.parameters(), lr=0.01)
target_positions = torch.tensor([[0.0, 0.0], [1.0, 0.0]], device=device)
tk = tqdm(range(20), desc="EPOCH[TRAIN]", disable=True)        # (vision_transformer's bar)
for epoch in tk:
    optimizer.zero_grad()
    final_positions = system(10)
    loss = (final_positions - target_positions).pow(2).mean()
    loss.backward()
    optimizer.step()
    tk.set_postfix({"Loss": "%6f" % float(loss.item())})
    if (epoch + 1) % 5 == 0:
        print(f"Epoch {epoch+1}/20, Loss: {loss.item():.6f}")
print("\\nTraining completed.")
print(f"Final positions:\\n{final_positions.detach().cpu().numpy()}")
print(f"Target positions:\\n{target_positions.cpu().numpy()}")

data = DataLoader(TensorDataset(torch.arange(10)), batch_size=2,
                  sampler=DistributedSampler(TensorDataset(torch.arange(10)), num_replicas=2,
                                             rank=1))
data.sampler.set_epoch(3)
print([b[0].tolist() for b in data])
'''


def test_example_script_through_the_torch_runner_prints_torchs_text(tmp_path):
    import contextlib
    import runpy
    from tinygrad_sgd.as_torch import run_script
    path = tmp_path / "mass_spring.py"
    path.write_text(SCRIPT)
    printed = []
    for run_it in (lambda: run_script(str(path)), lambda: runpy.run_path(str(path))):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run_it()
        printed.append(out.getvalue())
    assert "Epoch 20/20" in printed[1] and printed[0] == printed[1]


if __name__ == "__main__":
    for program, tol in PROGRAMS + FLOAT64 + [(p.values[0], p.values[1]) for p in XFAIL]:
        start = time.perf_counter()
        try:
            worst = compare(program, float('inf'))
            print(f"{program.__name__}: worst {worst:.3g} (tolerance {tol:.3g}) "
                  f"{time.perf_counter() - start:.2f}s")
        except Exception as e:  # noqa: BLE001
            print(f"{program.__name__}: FAILED {type(e).__name__}: {str(e)[:1500]}")
