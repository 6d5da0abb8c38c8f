"""torch's tutorial "NLP From Scratch: Generating Names with a Character-Level RNN", as its
readers run it: an RNN fed the category (one-hot), the current letter (one-hot) and the hidden
state, with Linear layers i2h, i2o and o2o, dropout(0.1) and LogSoftmax; target tensors made
with torch.LongTensor; the NLLLoss summed over the name and one loss.backward(); the manual SGD
step ``p.data.add_(p.grad.data, alpha=-learning_rate)``; then names sampled from a start
letter with topk up to a maximum length.

The tutorial's categories are languages; here they are the files of --data-dir: names.txt
(first names) and surnames.txt.

Command line: --data-dir (default data/names), --n-iters (default 100000), --print-every
(default 5000), --plot-every (default 500), --n-hidden (default 128), --lr (default 0.0005),
--max-length (default 20), --per-class (default 0: every name), --seed (default 0).
"""
import argparse
import math
import os
import random
import string
import time

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="data/names")
parser.add_argument("--n-iters", type=int, default=100000)
parser.add_argument("--print-every", type=int, default=5000)
parser.add_argument("--plot-every", type=int, default=500)
parser.add_argument("--n-hidden", type=int, default=128)
parser.add_argument("--lr", type=float, default=0.0005)
parser.add_argument("--max-length", type=int, default=20)
parser.add_argument("--per-class", type=int, default=0)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)

all_letters = string.ascii_letters + " .,;'-"
n_letters = len(all_letters) + 1  # Plus EOS marker


def readLines(filename):
    with open(filename, encoding="utf-8") as some_file:
        return [line.strip() for line in some_file if line.strip()]


# Build the category_lines dictionary, a list of lines per category
category_lines = {}
all_categories = []
for filename in ["names.txt", "surnames.txt"]:
    category = os.path.splitext(os.path.basename(filename))[0]
    all_categories.append(category)
    lines = readLines(os.path.join(args.data_dir, filename))
    if args.per_class:
        lines = lines[:args.per_class]
    category_lines[category] = [line.capitalize() for line in lines]

n_categories = len(all_categories)
print("# categories:", n_categories, all_categories)
print(category_lines["surnames"][:3])


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size

        self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, category, input, hidden):
        input_combined = torch.cat((category, input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output_combined = torch.cat((hidden, output), 1)
        output = self.o2o(output_combined)
        output = self.dropout(output)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


# Random item from a list
def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]


# Get a random category and random line from that category
def randomTrainingPair():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    return category, line


# One-hot vector for category
def categoryTensor(category):
    li = all_categories.index(category)
    tensor = torch.zeros(1, n_categories)
    tensor[0][li] = 1
    return tensor


# One-hot matrix of first to last letters (not including EOS) for input
def inputTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li in range(len(line)):
        letter = line[li]
        tensor[li][0][all_letters.find(letter)] = 1
    return tensor


# ``LongTensor`` of second letter to end (EOS) for target
def targetTensor(line):
    letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(n_letters - 1)  # EOS
    return torch.LongTensor(letter_indexes)


# Make category, input, and target tensors from a random category, line pair
def randomTrainingExample():
    category, line = randomTrainingPair()
    category_tensor = categoryTensor(category)
    input_line_tensor = inputTensor(line)
    target_line_tensor = targetTensor(line)
    return category_tensor, input_line_tensor, target_line_tensor


category_tensor, input_line_tensor, target_line_tensor = randomTrainingExample()
print(category_tensor, input_line_tensor.shape, target_line_tensor, target_line_tensor.dtype)

criterion = nn.NLLLoss()

learning_rate = args.lr


def train(category_tensor, input_line_tensor, target_line_tensor):
    target_line_tensor.unsqueeze_(-1)
    hidden = rnn.initHidden()

    rnn.zero_grad()

    loss = torch.Tensor([0])  # you can also just simply use ``loss = 0``

    for i in range(input_line_tensor.size(0)):
        output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
        l = criterion(output, target_line_tensor[i])
        loss += l

    loss.backward()

    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item() / input_line_tensor.size(0)


def timeSince(since):
    now = time.time()
    s = now - since
    m = math.floor(s / 60)
    s -= m * 60
    return "%dm %ds" % (m, s)


rnn = RNN(n_letters, args.n_hidden, n_letters)
print(rnn)

n_iters = args.n_iters
print_every = args.print_every
plot_every = args.plot_every
all_losses = []
total_loss = 0  # Reset every ``plot_every`` ``iters``

start = time.time()

for iter in range(1, n_iters + 1):
    output, loss = train(*randomTrainingExample())
    total_loss += loss

    if iter % print_every == 0:
        print("(%d %d%%) %.4f" % (iter, iter / n_iters * 100, loss))

    if iter % plot_every == 0:
        all_losses.append(total_loss / plot_every)
        total_loss = 0

print("losses", ["%.4f" % l for l in all_losses])
print("i2h.weight.grad sum %.6f" % rnn.i2h.weight.grad.sum().item())
print("o2o.bias %s" % rnn.o2o.bias[:5])

max_length = args.max_length


# Sample from a category and starting letter
def sample(category, start_letter="A"):
    with torch.no_grad():  # no need to track history in sampling
        category_tensor = categoryTensor(category)
        input = inputTensor(start_letter)
        hidden = rnn.initHidden()

        output_name = start_letter

        for i in range(max_length):
            output, hidden = rnn(category_tensor, input[0], hidden)
            topv, topi = output.topk(1)
            topi = topi[0][0]
            if topi == n_letters - 1:
                break
            else:
                letter = all_letters[topi]
                output_name += letter
            input = inputTensor(letter)

        return output_name


# Get multiple samples from one category and multiple starting letters
def samples(category, start_letters="ABC"):
    for start_letter in start_letters:
        print(sample(category, start_letter))


rnn.eval()
samples("names", "MPS")
samples("surnames", "JBW")

# sampling in training mode: dropout stays on, so each draw differs
rnn.train()
samples("names", "AAA")
