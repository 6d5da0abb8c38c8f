"""Sequence to sequence with attention, in the shape of the PyTorch tutorial "NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention": an EncoderRNN (nn.Embedding →
nn.Dropout → nn.GRU, batch_first), a BahdanauAttention (Wa, Ua, Va linear layers, torch.bmm,
F.softmax), an AttnDecoderRNN fed its target (teacher forcing) while training and its own
greedy prediction (topk(1)) otherwise; NLLLoss on log_softmax outputs, one Adam optimizer per
network, a TensorDataset in a DataLoader with a RandomSampler.

The tutorial translates French to English; here the "sentences" are short random integer
sequences (torch.randint) and the "translation" is the same sequence reversed (--task reverse)
or copied (--task copy), so that no data is needed. Token 0 is SOS (and the padding, as in the
tutorial), 1 is EOS, 2.. are the words.

Command line (the tutorial's values): --hidden-size 128, --batch-size 32, --epochs 80,
--print-every 5, --lr 0.001, --pairs 10000 (number of generated pairs), --vocab 20,
--min-len 3, --max-length 10, --task reverse|copy, --evaluate 5 (pairs shown at the end),
--seed 0.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--hidden-size", type=int, default=128)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=80)
parser.add_argument("--print-every", type=int, default=5)
parser.add_argument("--lr", type=float, default=0.001)
parser.add_argument("--pairs", type=int, default=10000)
parser.add_argument("--vocab", type=int, default=20)
parser.add_argument("--min-len", type=int, default=3)
parser.add_argument("--max-length", type=int, default=10)
parser.add_argument("--task", choices=["reverse", "copy"], default="reverse")
parser.add_argument("--evaluate", type=int, default=5)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = torch.device("cpu")

SOS_token = 0
EOS_token = 1
MAX_LENGTH = args.max_length


class Lang:
    def __init__(self, name, n_words):
        self.name = name
        self.index2word = {0: "SOS", 1: "EOS"}
        for i in range(2, n_words):
            self.index2word[i] = "w%d" % i
        self.word2index = {w: i for i, w in self.index2word.items()}
        self.n_words = n_words


def make_pairs(n):
    """Random sentences of min_len..MAX_LENGTH-1 words and their translations."""
    lengths = torch.randint(args.min_len, MAX_LENGTH, (n,))
    words = torch.randint(2, args.vocab, (n, MAX_LENGTH))
    pairs = []
    for length, row in zip(lengths.tolist(), words):
        src = row[:length]
        tgt = src.flip(0) if args.task == "reverse" else src.clone()
        pairs.append((src.tolist(), tgt.tolist()))
    return pairs


def sentence(lang, ids):
    return " ".join(lang.index2word[i] for i in ids)


input_lang = Lang("src", args.vocab)
output_lang = Lang("tgt", args.vocab)
pairs = make_pairs(args.pairs)
test_pairs = make_pairs(200)
print("Read %s sentence pairs" % len(pairs))
print("Counted words:")
print(input_lang.name, input_lang.n_words)
print(output_lang.name, output_lang.n_words)
print(sentence(input_lang, pairs[0][0]), "->", sentence(output_lang, pairs[0][1]))


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size

        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)

        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)

        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []

        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs
            )
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)

            if target_tensor is not None:
                # Teacher forcing: Feed the target as the next input
                decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
            else:
                # Without teacher forcing: use its own predictions as the next input
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()  # detach from history as input

        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)

        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))

        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)

        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)

        return output, hidden, attn_weights


def indexesFromSentence(lang, sentence):
    return [lang.word2index[word] for word in sentence.split(" ")]


def tensorFromSentence(lang, sentence):
    indexes = indexesFromSentence(lang, sentence)
    indexes.append(EOS_token)
    return torch.tensor(indexes, dtype=torch.long, device=device).view(1, -1)


def get_dataloader(batch_size):
    n = len(pairs)
    input_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)

    for idx, (inp_ids, tgt_ids) in enumerate(pairs):
        inp_ids = inp_ids + [EOS_token]
        tgt_ids = tgt_ids + [EOS_token]
        input_ids[idx, :len(inp_ids)] = inp_ids
        target_ids[idx, :len(tgt_ids)] = tgt_ids

    train_data = TensorDataset(torch.LongTensor(input_ids).to(device),
                               torch.LongTensor(target_ids).to(device))

    train_sampler = RandomSampler(train_data)
    train_dataloader = DataLoader(train_data, sampler=train_sampler, batch_size=batch_size)
    return input_lang, output_lang, train_dataloader


def train_epoch(dataloader, encoder, decoder, encoder_optimizer,
                decoder_optimizer, criterion):

    total_loss = 0
    for data in dataloader:
        input_tensor, target_tensor = data

        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)

        loss = criterion(
            decoder_outputs.view(-1, decoder_outputs.size(-1)),
            target_tensor.view(-1)
        )
        loss.backward()

        encoder_optimizer.step()
        decoder_optimizer.step()

        total_loss += loss.item()

    return total_loss / len(dataloader)


def train(train_dataloader, encoder, decoder, n_epochs, learning_rate=0.001,
          print_every=100):
    print_loss_total = 0  # Reset every print_every

    encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
    criterion = nn.NLLLoss()

    for epoch in range(1, n_epochs + 1):
        loss = train_epoch(train_dataloader, encoder, decoder, encoder_optimizer,
                           decoder_optimizer, criterion)
        print_loss_total += loss

        if epoch % print_every == 0:
            print_loss_avg = print_loss_total / print_every
            print_loss_total = 0
            print("(%d %d%%) %.4f" % (epoch, epoch / n_epochs * 100, print_loss_avg))


def evaluate(encoder, decoder, sentence, input_lang, output_lang):
    with torch.no_grad():
        input_tensor = tensorFromSentence(input_lang, sentence)

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)

        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()

        decoded_words = []
        for idx in decoded_ids:
            if idx.item() == EOS_token:
                decoded_words.append("<EOS>")
                break
            decoded_words.append(output_lang.index2word[idx.item()])
    return decoded_words, decoder_attn


def evaluateRandomly(encoder, decoder, n=10):
    for i in range(n):
        pair = test_pairs[torch.randint(len(test_pairs), (1,)).item()]
        src, tgt = sentence(input_lang, pair[0]), sentence(output_lang, pair[1])
        print(">", src)
        print("=", tgt)
        output_words, attentions = evaluate(encoder, decoder, src, input_lang, output_lang)
        output_sentence = " ".join(output_words)
        print("<", output_sentence)
        print("attention", " ".join("%.3f" % w for w in attentions[0, 0, :len(pair[0]) + 1].tolist()))
        print("")


def accuracy(encoder, decoder, pairs):
    """Exact-match accuracy of greedy decoding, batched."""
    n = len(pairs)
    input_ids = torch.zeros((n, MAX_LENGTH), dtype=torch.long)
    for idx, (inp_ids, _) in enumerate(pairs):
        input_ids[idx, :len(inp_ids) + 1] = torch.tensor(inp_ids + [EOS_token])
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(input_ids)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden)
        predicted = decoder_outputs.argmax(dim=-1)
    correct = 0
    for row, (_, tgt_ids) in zip(predicted.tolist(), pairs):
        want = tgt_ids + [EOS_token]
        correct += row[:len(want)] == want
    return correct / n


hidden_size = args.hidden_size
batch_size = args.batch_size

input_lang, output_lang, train_dataloader = get_dataloader(batch_size)

encoder = EncoderRNN(input_lang.n_words, hidden_size).to(device)
decoder = AttnDecoderRNN(hidden_size, output_lang.n_words).to(device)

train(train_dataloader, encoder, decoder, args.epochs, learning_rate=args.lr,
      print_every=args.print_every)

encoder.eval()
decoder.eval()
evaluateRandomly(encoder, decoder, n=args.evaluate)
print("exact match on %d new pairs: %.3f" % (len(test_pairs), accuracy(encoder, decoder, test_pairs)))
