"""torch's tutorial "NLP From Scratch: Classifying Names with a Character-Level RNN", as its
readers run it: names as one-hot tensors (letterToTensor / lineToTensor), the hand-made RNN of
the tutorial (nn.Linear i2h and h2o over the concatenated input and hidden, LogSoftmax) or
nn.RNN with a Linear head, random training examples, NLLLoss, the tutorial's manual SGD step
``p.data.add_(p.grad.data, alpha=-learning_rate)``, categoryFromOutput with topk, a confusion
matrix and predict() with the top-3 guesses.

The tutorial's data are names by language; here the categories are the files of --data-dir:
names.txt (first names) and surnames.txt, each split by first letter (a-m / n-z), four classes.

Command line: --data-dir (default data/names), --model tutorial|nnrnn (default tutorial),
--n-iters (default 100000), --print-every (default 5000), --plot-every (default 1000),
--n-confusion (default 10000), --n-hidden (default 128), --lr (default 0.005), --per-class
(default 0: every name), --batched-epochs (default 0: then the newer tutorial's training on
a Dataset split, in batches with torch.optim.SGD and clip_grad_norm_), --seed (default 0).
"""
import argparse
import os
import random
import string
import time
import math

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="data/names")
parser.add_argument("--model", choices=["tutorial", "nnrnn"], default="tutorial")
parser.add_argument("--n-iters", type=int, default=100000)
parser.add_argument("--print-every", type=int, default=5000)
parser.add_argument("--plot-every", type=int, default=1000)
parser.add_argument("--n-confusion", type=int, default=10000)
parser.add_argument("--n-hidden", type=int, default=128)
parser.add_argument("--lr", type=float, default=0.005)
parser.add_argument("--per-class", type=int, default=0)
parser.add_argument("--batched-epochs", type=int, default=0)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)

# the tutorials' device choice (an accelerator when there is one)
# (the tutorial also calls torch.set_default_device(device): left out, since on torch it would
# slow every later program run in the same test process)
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


def readLines(filename):
    lines = open(filename, encoding="utf-8").read().strip().split("\n")
    return [line.strip() for line in lines if line.strip()]


# Build the category_lines dictionary, a list of names per category
category_lines = {}
all_categories = []
for filename in ["names.txt", "surnames.txt"]:
    kind = os.path.splitext(filename)[0]
    lines = readLines(os.path.join(args.data_dir, filename))
    for half, keep in [("a-m", lambda s: s[0].lower() <= "m"), ("n-z", lambda s: s[0].lower() > "m")]:
        category = f"{kind}:{half}"
        chosen = [line for line in lines if keep(line)]
        if args.per_class:
            chosen = chosen[:args.per_class]
        all_categories.append(category)
        category_lines[category] = chosen

n_categories = len(all_categories)
print("n_letters", n_letters, "n_categories", n_categories)
print(all_categories)
print(category_lines[all_categories[0]][:5])


# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    return all_letters.find(letter)


# Just for demonstration, turn a letter into a <1 x n_letters> Tensor
def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


# Turn a line into a <line_length x 1 x n_letters>, or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor("J"))
print(lineToTensor("Jones").size())


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.h2o(hidden)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


class TorchRNN(nn.Module):
    """The newer tutorial's model: nn.RNN over the whole line, the last hidden state to h2o."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)
        return output


n_hidden = args.n_hidden
if args.model == "tutorial":
    rnn = RNN(n_letters, n_hidden, n_categories)
else:
    rnn = TorchRNN(n_letters, n_hidden, n_categories)
print(rnn)
print(sum(p.numel() for p in rnn.parameters()))

if args.model == "tutorial":
    input = lineToTensor("Albert")
    hidden = torch.zeros(1, n_hidden)
    output, next_hidden = rnn(input[0], hidden)
else:
    output = rnn(lineToTensor("Albert"))
print(output)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))


def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


for i in range(5):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    print("category =", category, "/ line =", line, category_tensor)

criterion = nn.NLLLoss()
learning_rate = args.lr  # If you set this too high, it might explode. If too low, it might not learn


def evaluate(line_tensor):
    if args.model == "tutorial":
        hidden = rnn.initHidden()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        return output
    return rnn(line_tensor)


def train(category_tensor, line_tensor):
    rnn.zero_grad()
    output = evaluate(line_tensor)
    loss = criterion(output, category_tensor)
    loss.backward()

    # Add parameters' gradients to their values, multiplied by learning rate
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item()


# Keep track of losses for plotting
current_loss = 0
all_losses = []


def timeSince(since):
    now = time.time()
    s = now - since
    m = math.floor(s / 60)
    s -= m * 60
    return "%dm %ds" % (m, s)


start = time.time()
n_iters = args.n_iters
for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss

    # Print ``iter`` number, loss, name and guess
    if iter % args.print_every == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %d%% %.4f %s / %s %s" % (iter, iter / n_iters * 100, loss, line, guess, correct))

    # Add current loss avg to list of losses
    if iter % args.plot_every == 0:
        all_losses.append(current_loss / args.plot_every)
        current_loss = 0

print("losses", ["%.4f" % l for l in all_losses])
grad_norm = torch.sqrt(sum((p.grad ** 2).sum() for p in rnn.parameters()))
print("last grad norm %.6f" % grad_norm.item())

# Keep track of correct guesses in a confusion matrix
confusion = torch.zeros(n_categories, n_categories)
n_confusion = args.n_confusion

# Go through a bunch of examples and record which are correctly guessed
with torch.no_grad():
    for i in range(n_confusion):
        category, line, category_tensor, line_tensor = randomTrainingExample()
        output = evaluate(line_tensor)
        guess, guess_i = categoryFromOutput(output)
        category_i = all_categories.index(category)
        confusion[category_i][guess_i] += 1

print(confusion)
# Normalize by dividing every row by its sum
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)
print("accuracy %.4f" % (confusion.diag().mean().item()))

if args.batched_epochs:
    # The newer tutorial's training: a Dataset split 85/15 with a seeded generator, batches of
    # shuffled indices, the summed loss of a batch, clip_grad_norm_ and torch.optim.SGD.
    from torch.utils.data import Dataset, random_split
    import numpy as np

    class NamesDataset(Dataset):
        def __init__(self):
            self.data = [(line, category) for category in all_categories
                         for line in category_lines[category]]

        def __len__(self):
            return len(self.data)

        def __getitem__(self, idx):
            line, category = self.data[idx]
            label_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
            return label_tensor, lineToTensor(line), category, line

    alldata = NamesDataset()
    train_set, test_set = random_split(alldata, [.85, .15],
                                       generator=torch.Generator(device=device).manual_seed(2024))
    print(f"train examples = {len(train_set)}, validation examples = {len(test_set)}")
    optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
    n_batch_size = 64
    rnn.train()
    for epoch in range(1, args.batched_epochs + 1):
        rnn.zero_grad()
        batches = list(range(len(train_set)))
        random.shuffle(batches)
        batches = np.array_split(batches, len(batches) // n_batch_size)
        current_loss = 0
        for idx, batch in enumerate(batches):
            batch_loss = 0
            for i in batch:
                (label_tensor, text_tensor, label, text) = train_set[i]
                output = evaluate(text_tensor)
                loss = criterion(output, label_tensor)
                batch_loss += loss
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            current_loss += batch_loss.item() / len(batch)
        print(f"{epoch} ({epoch / args.batched_epochs:.0%}): \t average batch loss = "
              f"{current_loss / len(batches)}")
    rnn.eval()
    correct = 0
    with torch.no_grad():
        for i in range(len(test_set)):
            (label_tensor, text_tensor, label, text) = test_set[i]
            guess, guess_i = categoryFromOutput(evaluate(text_tensor))
            correct += guess == label
    print("validation accuracy %.4f" % (correct / len(test_set)))


def predict(input_line, n_predictions=3):
    print("\n> %s" % input_line)
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))

        # Get top N categories
        topv, topi = output.topk(n_predictions, 1, True)
        predictions = []

        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print("(%.2f) %s" % (value, all_categories[category_index]))
            predictions.append([value, all_categories[category_index]])
    return predictions


predict("Dovesky")
predict("Jackson")
predict("Satoshi")
predict("mary")
