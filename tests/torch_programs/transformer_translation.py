"""torch's "Language translation with nn.Transformer and torchtext" tutorial, on a synthetic
language pair instead of Multi30k: a source sentence is a sequence of integer tokens, its
translation the same tokens reversed with 1 added to each. The model is the tutorial's
Seq2SeqTransformer (nn.Transformer with TokenEmbedding and PositionalEncoding), its
create_mask / generate_square_subsequent_mask, CrossEntropyLoss(ignore_index=PAD_IDX), Adam
with betas=(0.9, 0.98), eps=1e-9, and greedy_decode. Sentences have random lengths and are
padded with PAD_IDX, so the key padding masks matter.

Defaults are the tutorial's (EMB_SIZE 512, NHEAD 8, FFN_HID_DIM 512, BATCH_SIZE 128, 3+3
layers, 18 epochs); the flags shrink it for the tests. --batch-first builds the model with
batch_first=True (tensors (batch, seq) instead of (seq, batch)).
"""
import argparse
import math
from timeit import default_timer as timer

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn import Transformer

PAD_IDX, BOS_IDX, EOS_IDX = 0, 1, 2
FIRST_WORD = 3                        # tokens 3 .. vocab-2 are words; +1 stays in vocab


class PositionalEncoding(nn.Module):
    """helper Module that adds positional encoding to the token embedding to introduce a
    notion of word order."""
    def __init__(self, emb_size: int, dropout: float, maxlen: int = 5000, batch_first=False):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.batch_first = batch_first
        self.dropout = nn.Dropout(dropout)
        self.register_buffer('pos_embedding', pos_embedding)

    def forward(self, token_embedding: Tensor):
        if self.batch_first:
            pe = self.pos_embedding[:token_embedding.size(1), :].transpose(0, 1)
        else:
            pe = self.pos_embedding[:token_embedding.size(0), :]
        return self.dropout(token_embedding + pe)


class TokenEmbedding(nn.Module):
    """helper Module to convert tensor of input indices into corresponding tensor of token
    embeddings"""
    def __init__(self, vocab_size: int, emb_size):
        super(TokenEmbedding, self).__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens: Tensor):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    """Seq2Seq Network"""
    def __init__(self, num_encoder_layers: int, num_decoder_layers: int, emb_size: int,
                 nhead: int, src_vocab_size: int, tgt_vocab_size: int,
                 dim_feedforward: int = 512, dropout: float = 0.1, batch_first=False):
        super(Seq2SeqTransformer, self).__init__()
        self.transformer = Transformer(d_model=emb_size, nhead=nhead,
                                       num_encoder_layers=num_encoder_layers,
                                       num_decoder_layers=num_decoder_layers,
                                       dim_feedforward=dim_feedforward, dropout=dropout,
                                       batch_first=batch_first)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)
        self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout,
                                                      batch_first=batch_first)

    def forward(self, src: Tensor, trg: Tensor, src_mask: Tensor, tgt_mask: Tensor,
                src_padding_mask: Tensor, tgt_padding_mask: Tensor,
                memory_key_padding_mask: Tensor):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                src_padding_mask, tgt_padding_mask, memory_key_padding_mask)
        return self.generator(outs)

    def encode(self, src: Tensor, src_mask: Tensor):
        return self.transformer.encoder(self.positional_encoding(
                            self.src_tok_emb(src)), src_mask)

    def decode(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor):
        return self.transformer.decoder(self.positional_encoding(
                          self.tgt_tok_emb(tgt)), memory,
                          tgt_mask)


def generate_square_subsequent_mask(sz, device):
    mask = (torch.triu(torch.ones((sz, sz), device=device)) == 1).transpose(0, 1)
    mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, float(0.0))
    return mask


def create_mask(src, tgt, device, batch_first=False):
    seq_dim = 1 if batch_first else 0
    src_seq_len = src.shape[seq_dim]
    tgt_seq_len = tgt.shape[seq_dim]

    tgt_mask = generate_square_subsequent_mask(tgt_seq_len, device)
    src_mask = torch.zeros((src_seq_len, src_seq_len), device=device).type(torch.bool)

    if batch_first:
        src_padding_mask = (src == PAD_IDX)
        tgt_padding_mask = (tgt == PAD_IDX)
    else:
        src_padding_mask = (src == PAD_IDX).transpose(0, 1)
        tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def make_pairs(n, vocab, min_len, max_len):
    """n (source, target) token lists: target = reversed source, each token + 1."""
    lengths = torch.randint(min_len, max_len + 1, (n,))
    pairs = []
    for length in lengths.tolist():
        src = torch.randint(FIRST_WORD, vocab - 1, (length,))
        tgt = src.flip(0) + 1
        pairs.append((src, tgt))
    return pairs


def collate_fn(batch, batch_first=False):
    """BOS ... EOS around each sentence, then padded with PAD_IDX (pad_sequence)."""
    src_batch, tgt_batch = [], []
    for src_sample, tgt_sample in batch:
        src_batch.append(torch.cat((torch.tensor([BOS_IDX]), src_sample, torch.tensor([EOS_IDX]))))
        tgt_batch.append(torch.cat((torch.tensor([BOS_IDX]), tgt_sample, torch.tensor([EOS_IDX]))))
    src_batch = nn.utils.rnn.pad_sequence(src_batch, padding_value=PAD_IDX, batch_first=batch_first)
    tgt_batch = nn.utils.rnn.pad_sequence(tgt_batch, padding_value=PAD_IDX, batch_first=batch_first)
    return src_batch, tgt_batch


def batches(pairs, batch_size, batch_first, shuffle):
    order = torch.randperm(len(pairs)).tolist() if shuffle else range(len(pairs))
    order = list(order)
    for i in range(0, len(order), batch_size):
        yield collate_fn([pairs[j] for j in order[i:i + batch_size]], batch_first)


def train_epoch(model, optimizer, loss_fn, pairs, args, device):
    model.train()
    losses, count = 0, 0
    bf = args.batch_first
    for src, tgt in batches(pairs, args.batch_size, bf, shuffle=True):
        src = src.to(device)
        tgt = tgt.to(device)

        tgt_input = tgt[:, :-1] if bf else tgt[:-1, :]

        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input, device, bf)

        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                       src_padding_mask)

        optimizer.zero_grad()

        tgt_out = tgt[:, 1:] if bf else tgt[1:, :]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()

        optimizer.step()
        losses += loss.item()
        count += 1

    return losses / count


def evaluate(model, loss_fn, pairs, args, device):
    model.eval()
    losses, count = 0, 0
    bf = args.batch_first
    with torch.no_grad():
        for src, tgt in batches(pairs, args.batch_size, bf, shuffle=False):
            src = src.to(device)
            tgt = tgt.to(device)

            tgt_input = tgt[:, :-1] if bf else tgt[:-1, :]

            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input, device, bf)

            logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask,
                           tgt_padding_mask, src_padding_mask)

            tgt_out = tgt[:, 1:] if bf else tgt[1:, :]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            losses += loss.item()
            count += 1

    return losses / count


# function to generate output sequence using greedy algorithm
def greedy_decode(model, src, src_mask, max_len, start_symbol, device):
    src = src.to(device)
    src_mask = src_mask.to(device)

    memory = model.encode(src, src_mask)
    ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long).to(device)
    for i in range(max_len-1):
        memory = memory.to(device)
        tgt_mask = (generate_square_subsequent_mask(ys.size(0), device)
                    .type(torch.bool)).to(device)
        out = model.decode(ys, memory, tgt_mask)
        out = out.transpose(0, 1)
        prob = model.generator(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.item()

        ys = torch.cat([ys,
                        torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == EOS_IDX:
            break
    return ys


def greedy_decode_batch_first(model, src, src_mask, max_len, start_symbol, device):
    memory = model.encode(src, src_mask)
    ys = torch.full((1, 1), start_symbol, dtype=torch.long, device=device)
    for i in range(max_len - 1):
        tgt_mask = Transformer.generate_square_subsequent_mask(ys.size(1), device=device)
        out = model.decode(ys, memory, tgt_mask)
        prob = model.generator(out[:, -1])
        next_word = prob.argmax(dim=-1, keepdim=True)
        ys = torch.cat([ys, next_word], dim=1)
        if next_word.item() == EOS_IDX:
            break
    return ys


# actual function to translate input sentence into target language
def translate(model, src_tokens, args, device):
    model.eval()
    src = torch.cat((torch.tensor([BOS_IDX]), src_tokens, torch.tensor([EOS_IDX])))
    if args.batch_first:
        src = src.view(1, -1)
        num_tokens = src.shape[1]
        src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
        tgt_tokens = greedy_decode_batch_first(model, src, src_mask, num_tokens + 5,
                                               BOS_IDX, device).flatten()
    else:
        src = src.view(-1, 1)
        num_tokens = src.shape[0]
        src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
        tgt_tokens = greedy_decode(model, src, src_mask, max_len=num_tokens + 5,
                                   start_symbol=BOS_IDX, device=device).flatten()
    return " ".join(str(t) for t in tgt_tokens.tolist()
                    if t not in (BOS_IDX, EOS_IDX))


def main():
    parser = argparse.ArgumentParser(description="nn.Transformer translation tutorial")
    parser.add_argument("--emb-size", type=int, default=512)
    parser.add_argument("--nhead", type=int, default=8)
    parser.add_argument("--ffn-hid-dim", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--num-encoder-layers", type=int, default=3)
    parser.add_argument("--num-decoder-layers", type=int, default=3)
    parser.add_argument("--num-epochs", type=int, default=18)
    parser.add_argument("--lr", type=float, default=0.0001)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--n-train", type=int, default=29000)
    parser.add_argument("--n-valid", type=int, default=1014)
    parser.add_argument("--min-len", type=int, default=5)
    parser.add_argument("--max-len", type=int, default=20)
    parser.add_argument("--n-translate", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--batch-first", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    DEVICE = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    SRC_VOCAB_SIZE = TGT_VOCAB_SIZE = args.vocab
    train_pairs = make_pairs(args.n_train, args.vocab, args.min_len, args.max_len)
    valid_pairs = make_pairs(args.n_valid, args.vocab, args.min_len, args.max_len)

    transformer = Seq2SeqTransformer(args.num_encoder_layers, args.num_decoder_layers,
                                     args.emb_size, args.nhead, SRC_VOCAB_SIZE,
                                     TGT_VOCAB_SIZE, args.ffn_hid_dim, args.dropout,
                                     batch_first=args.batch_first)

    for p in transformer.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)

    transformer = transformer.to(DEVICE)
    print(f"parameters: {sum(p.numel() for p in transformer.parameters())}")

    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)

    optimizer = torch.optim.Adam(transformer.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9)

    for epoch in range(1, args.num_epochs+1):
        start_time = timer()
        train_loss = train_epoch(transformer, optimizer, loss_fn, train_pairs, args, DEVICE)
        end_time = timer()
        val_loss = evaluate(transformer, loss_fn, valid_pairs, args, DEVICE)
        print((f"Epoch: {epoch}, Train loss: {train_loss:.3f}, Val loss: {val_loss:.3f}"))
        del start_time, end_time        # the tutorial prints the epoch time; not compared

    for src, tgt in valid_pairs[:args.n_translate]:
        print("source:     ", " ".join(str(t) for t in src.tolist()))
        print("reference:  ", " ".join(str(t) for t in tgt.tolist()))
        print("translation:", translate(transformer, src, args, DEVICE))


if __name__ == "__main__":
    main()
