"""Probe 33: small programs in the style of PyTorch's official tutorials, each run on real torch
and on this library (the module passed in as ``torch``), logging what the tutorial would print.
Random draws and initialisation are torch's, so every number must agree to float32 rounding
(a few ulps from accumulation order; see PROGRAMS for where training amplifies them), every
warning and error too. One program also runs as a script through the ``tinygrad-sgd run``
runner (``import torch``), its printed text compared with torch's.

Then what the probe found apart, fixed, each compared with torch: ``torch.func.
stack_module_state`` (the model-ensembling tutorial); a node's ``_saved_self`` /
``_saved_result`` ... (the saved-tensors-hooks tutorial) and saved-tensor hooks on the results
ops keep; float16 linear layers, convolutions, addmm & co., group norm and average pooling
rounding once, as torch's kernels (a ``model.half()``'s outputs)."""
import importlib
import io
import math
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg

from helpers import INTEL_CPU

real_torch = pytest.importorskip("torch")


class Log:
    """What a program printed: (label, float64 array) pairs, and its warnings."""

    def __init__(self):
        self.rows = []

    def __call__(self, label, value):
        if hasattr(value, "detach"):
            value = value.detach().numpy()
        self.rows.append((label, np.asarray(value, dtype=np.float64)))


# ---------------------------------------------------------------- Learning PyTorch with Examples
def polynomial_custom_function(torch, log):
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    torch.manual_seed(0)
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    P3 = LegendrePolynomial3.apply
    for t in range(20):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 5 == 4:
            log(f"loss {t}", loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    log("abcd", torch.stack([a, b, c, d]))


def polynomial_nn_optim(torch, log):
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 100)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for t in range(30):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 10 == 9:
            log(f"loss {t}", loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    log("weight", linear_layer.weight)
    log("bias", linear_layer.bias)


# ---------------------------------------------------------- char-level RNN name classification
def char_rnn_classification(torch, log):
    nn = torch.nn
    torch.manual_seed(1)
    letters = "abcdefghij"
    names = [("abe", 0), ("cid", 1), ("jig", 2), ("bead", 0), ("fah", 1), ("hij", 2)]

    def line_to_tensor(line):
        t = torch.zeros(len(line), 1, len(letters))
        for i, ch in enumerate(line):
            t[i][0][letters.find(ch)] = 1
        return t

    class CharRNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size, cell):
            super().__init__()
            self.rnn = cell(input_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, line_tensor):
            rnn_out, hidden = self.rnn(line_tensor)
            output = self.h2o(hidden[0])
            return self.softmax(output)

    for cell in (nn.RNN, nn.GRU):
        rnn = CharRNN(len(letters), 8, 3, cell)
        criterion = nn.NLLLoss()
        optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
        rnn.train()
        for epoch in range(3):
            total = 0.0
            for name, label in names:
                output = rnn(line_to_tensor(name))
                loss = criterion(output, torch.tensor([label], dtype=torch.long))
                loss.backward()
                nn.utils.clip_grad_norm_(rnn.parameters(), 3)
                optimizer.step()
                optimizer.zero_grad()
                total += loss.item()
            log(f"{cell.__name__} epoch {epoch}", total / len(names))
        rnn.eval()
        with torch.no_grad():
            out = rnn(line_to_tensor("jade"))
            top_n, top_i = out.topk(1)
        log(f"{cell.__name__} guess", out)
        log(f"{cell.__name__} top", top_i)


# ------------------------------------------------------- seq2seq GRU with Bahdanau attention
def seq2seq_attention(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(2)
    SOS, EOS, MAX_LENGTH = 0, 1, 5
    V_in, V_out, H = 9, 8, 12

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=0.1):
            super().__init__()
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input):
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super().__init__()
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
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS)
            decoder_hidden = encoder_hidden
            decoder_outputs, attentions = [], []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
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

    encoder = EncoderRNN(V_in, H)
    decoder = AttnDecoderRNN(H, V_out)
    src = torch.tensor([[2, 3, 4, 5, EOS], [6, 7, 8, EOS, 0], [3, 3, 2, EOS, 0]])
    tgt = torch.tensor([[2, 3, 4, 5, EOS], [7, 6, 5, EOS, 0], [2, 4, 4, EOS, 0]])
    enc_opt = torch.optim.Adam(encoder.parameters(), lr=0.01)
    dec_opt = torch.optim.Adam(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    for epoch in range(4):
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        encoder_outputs, encoder_hidden = encoder(src)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, tgt)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), tgt.view(-1))
        loss.backward()
        enc_opt.step()
        dec_opt.step()
        log(f"loss {epoch}", loss.item())
    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(src[:1])
        decoder_outputs, _, attn = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
    log("decoded", topi.squeeze())
    log("attention", attn)


# ------------------------------------------------------------------- LSTM part-of-speech tagger
def lstm_pos_tagger(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(1)
    training_data = [
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

    def prepare_sequence(seq, to_ix):
        return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super().__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            return F.log_softmax(tag_space, dim=1)

    model = LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix))
    loss_function = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with torch.no_grad():
        log("before", model(prepare_sequence(training_data[0][0], word_to_ix)))
    for epoch in range(15):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
        if epoch % 5 == 4:
            log(f"loss {epoch}", loss.item())
    with torch.no_grad():
        tag_scores = model(prepare_sequence(training_data[0][0], word_to_ix))
    log("after", tag_scores)
    log("argmax", tag_scores.argmax(dim=1))


# ------------------------------------------------------------ N-gram language model embeddings
def ngram_embeddings(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(1)
    CONTEXT_SIZE, EMBEDDING_DIM = 2, 5
    test_sentence = """When forty winters shall besiege thy brow, And dig deep trenches in
    thy beauty's field, Thy youth's proud livery so gazed on now""".split()
    ngrams = [([test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)], test_sentence[i])
              for i in range(CONTEXT_SIZE, len(test_sentence))]
    vocab = sorted(set(test_sentence))
    word_to_ix = {word: i for i, word in enumerate(vocab)}

    class NGramLanguageModeler(nn.Module):
        def __init__(self, vocab_size, embedding_dim, context_size):
            super().__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = nn.Linear(context_size * embedding_dim, 16)
            self.linear2 = nn.Linear(16, vocab_size)

        def forward(self, inputs):
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            out = self.linear2(out)
            return F.log_softmax(out, dim=1)

    losses = []
    loss_function = nn.NLLLoss()
    model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, nesterov=True,
                                weight_decay=1e-4)
    for epoch in range(3):
        total_loss = 0
        for context, target in ngrams:
            context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
            model.zero_grad()
            log_probs = model(context_idxs)
            loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    log("losses", losses)
    log("beauty's", model.embeddings.weight[word_to_ix["beauty's"]])
    # CBOW-style: sum of context embeddings, and the padding_idx / max_norm options
    emb = nn.Embedding(10, 4, padding_idx=0, max_norm=1.0)
    idx = torch.tensor([[0, 2, 4], [4, 3, 0]])
    out = emb(idx).sum(dim=1)
    out.pow(2).sum().backward()
    log("cbow", out)
    log("cbow grad", emb.weight.grad)
    log("renormed", emb.weight)


# ------------------------------------------------- nn.TransformerEncoder LM with a causal mask
def transformer_lm(torch, log):
    nn = torch.nn
    torch.manual_seed(3)

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=50):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            position = torch.arange(max_len).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = torch.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = torch.sin(position * div_term)
            pe[:, 0, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0)]
            return self.dropout(x)

    class TransformerModel(nn.Module):
        def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.1):
            super().__init__()
            self.model_type = "Transformer"
            self.pos_encoder = PositionalEncoding(d_model, dropout)
            encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers,
                                                             enable_nested_tensor=False)
            self.embedding = nn.Embedding(ntoken, d_model)
            self.d_model = d_model
            self.linear = nn.Linear(d_model, ntoken)
            self.init_weights()

        def init_weights(self):
            initrange = 0.1
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.linear.bias.data.zero_()
            self.linear.weight.data.uniform_(-initrange, initrange)

        def forward(self, src, src_mask=None):
            src = self.embedding(src) * math.sqrt(self.d_model)
            src = self.pos_encoder(src)
            if src_mask is None:
                src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            output = self.transformer_encoder(src, src_mask, is_causal=True)
            return self.linear(output)

    ntokens, bptt = 11, 6
    data = torch.randint(0, ntokens, (40,))
    batch_size = 3
    seq_len = data.size(0) // batch_size
    train_data = data[:seq_len * batch_size].view(batch_size, seq_len).t().contiguous()
    model = TransformerModel(ntokens, 8, 2, 16, 2, dropout=0.1)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    model.train()
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        seq = min(bptt, len(train_data) - 1 - i)
        src, targets = train_data[i:i + seq], train_data[i + 1:i + 1 + seq].reshape(-1)
        output = model(src)
        loss = criterion(output.view(-1, ntokens), targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        log(f"loss {batch}", loss.item())
        scheduler.step()
    log("lr", scheduler.get_last_lr())
    model.eval()
    with torch.no_grad():
        src = train_data[:5]
        out = model(src)
        log("eval logits", out[-1])
        log("eval ppl", math.exp(criterion(out.view(-1, ntokens), train_data[1:6].reshape(-1))))


# -------------------------------------------------------------------------------- DCGAN, tiny
def dcgan(torch, log):
    nn = torch.nn
    torch.manual_seed(999)
    nz, ngf, ndf, nc = 4, 4, 4, 1

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    netG = Generator()
    netG.apply(weights_init)
    netD = Discriminator()
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(2, nz, 1, 1)
    real_label, fake_label = 1.0, 0.0
    optimizerD = torch.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    real = torch.rand(3, nc, 16, 16) * 2 - 1
    for i in range(3):
        netD.zero_grad()
        b_size = real.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float)
        output = netD(real).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(b_size, nz, 1, 1)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        log(f"step {i}", [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
    with torch.no_grad():
        fake = netG(fixed_noise).detach()
    log("fixed fake", fake)
    log("running_var", netG.main[1].running_var)
    log("num_batches_tracked", netD.main[3].num_batches_tracked)


# ----------------------------------------------------------------------------------------- VAE
def vae(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(1)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(16, 8)
            self.fc21 = nn.Linear(8, 2)
            self.fc22 = nn.Linear(8, 2)
            self.fc3 = nn.Linear(2, 8)
            self.fc4 = nn.Linear(8, 16)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 16))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 16), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = (torch.rand(6, 1, 4, 4) > 0.5).float()
    model.train()
    for epoch in range(4):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        optimizer.step()
        log(f"loss {epoch}", loss.item() / len(data))
    model.eval()
    with torch.no_grad():
        sample = torch.randn(3, 2)
        sample = model.decode(sample)
    log("sample", sample.view(3, 1, 4, 4))


# ------------------------------------------------------------------- spatial transformer bits
def spatial_transformer(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(4)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
            self.fc1 = nn.Linear(4 * 5 * 5, 3)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=3),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(4 * 5 * 5, 8), nn.ReLU(True), nn.Linear(8, 6))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 4 * 5 * 5)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            x = self.stn(x)
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.dropout(x, training=self.training)
            x = x.view(-1, 4 * 5 * 5)
            return F.log_softmax(self.fc1(x), dim=1)

    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    data = torch.randn(4, 1, 12, 12)
    target = torch.tensor([0, 2, 1, 2])
    model.train()
    for step in range(3):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        log(f"loss {step}", loss.item())
    model.eval()
    with torch.no_grad():
        out = model.stn(data[:2])
    log("stn out", out)
    # the sampler's other modes, with gradients to both input and grid
    inp = torch.randn(1, 2, 5, 6, requires_grad=True)
    theta = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]]], requires_grad=True)
    for mode, pad, ac in [("bilinear", "zeros", True), ("nearest", "border", False),
                          ("bilinear", "reflection", False), ("bicubic", "zeros", False)]:
        grid = F.affine_grid(theta, (1, 2, 4, 7), align_corners=ac)
        o = F.grid_sample(inp, grid, mode=mode, padding_mode=pad, align_corners=ac)
        gi, gt = torch.autograd.grad(o.sin().sum(), (inp, theta))
        log(f"{mode}/{pad} out", o)
        log(f"{mode}/{pad} d inp", gi)
        log(f"{mode}/{pad} d theta", gt)


# ------------------------------------------------------------- REINFORCE with Categorical
def reinforce(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    from_dist = torch.distributions.Categorical
    torch.manual_seed(543)
    gamma = 0.99
    eps = np.finfo(np.float32).eps.item()

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1 = nn.Linear(4, 16)
            self.dropout = nn.Dropout(p=0.6)
            self.affine2 = nn.Linear(16, 2)
            self.saved_log_probs = []
            self.rewards = []

        def forward(self, x):
            x = self.affine1(x)
            x = self.dropout(x)
            x = F.relu(x)
            action_scores = self.affine2(x)
            return F.softmax(action_scores, dim=1)

    policy = Policy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)

    def select_action(state):
        state = torch.from_numpy(state).float().unsqueeze(0)
        probs = policy(state)
        m = from_dist(probs)
        action = m.sample()
        policy.saved_log_probs.append(m.log_prob(action))
        return action.item()

    def finish_episode():
        R = 0
        policy_loss = []
        returns = []
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
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
        return policy_loss.item()

    for episode in range(4):
        state = np.array([0.1, -0.2, 0.05 * episode, 0.3])
        actions = []
        for t in range(6):
            action = select_action(state)
            actions.append(action)
            state = state + (0.1 if action else -0.1) * np.array([1.0, 0.5, -0.5, 0.25])
            policy.rewards.append(1.0 if abs(state[0]) < 0.25 else 0.0)
        log(f"actions {episode}", actions)
        log(f"policy loss {episode}", finish_episode())
    m = from_dist(logits=torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]))
    log("entropy", m.entropy())
    log("samples", m.sample((4,)))
    log("probs", m.probs)


# -------------------------------------------------------------------- regression with L-BFGS
def lbfgs_regression(torch, log):
    nn = torch.nn
    torch.manual_seed(5)
    x = torch.rand(20, 2) * 4 - 2
    y = (x[:, :1] * 1.5 - x[:, 1:] ** 2 * 0.5 + 0.3 + 0.05 * torch.randn(20, 1))
    model = nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 1))
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=5, history_size=4,
                                  line_search_fn="strong_wolfe")
    for i in range(3):
        def closure():
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        log(f"loss {i}", loss.item())
    log("n_iter", optimizer.state[optimizer._params[0]]["n_iter"])
    log("func_evals", optimizer.state[optimizer._params[0]]["func_evals"])
    with torch.no_grad():
        log("pred", model(x[:4]))


# -------------------------------------------------- state_dict save/load and an lr scheduler
def checkpoint_and_scheduler(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(6)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(5, 7)
            self.bn = nn.BatchNorm1d(7)
            self.fc2 = nn.Linear(7, 3)

        def forward(self, x):
            return self.fc2(F.relu(self.bn(self.fc1(x))))

    def make():
        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=12)
        return net, opt, sched

    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    net, opt, sched = make()

    def train(net, opt, sched, steps, tag):
        for s in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            sched.step()
            log(f"{tag} loss {s}", loss.item())
            log(f"{tag} lr {s}", sched.get_last_lr())

    train(net, opt, sched, 4, "first")
    buf = io.BytesIO()
    torch.save({"epoch": 4, "model_state_dict": net.state_dict(),
                "optimizer_state_dict": opt.state_dict(),
                "scheduler_state_dict": sched.state_dict()}, buf)
    buf.seek(0)
    checkpoint = torch.load(buf, weights_only=True)
    net2, opt2, sched2 = make()
    net2.load_state_dict(checkpoint["model_state_dict"])
    opt2.load_state_dict(checkpoint["optimizer_state_dict"])
    sched2.load_state_dict(checkpoint["scheduler_state_dict"])
    log("epoch", checkpoint["epoch"])
    log("keys", [len(k) for k in checkpoint["model_state_dict"]])
    log("bn tracked", checkpoint["model_state_dict"]["bn.num_batches_tracked"])
    train(net, opt, sched, 3, "orig")
    train(net2, opt2, sched2, 3, "restored")
    # ReduceLROnPlateau and a chained cosine schedule
    p = nn.Parameter(torch.ones(2))
    opt3 = torch.optim.Adam([p], lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt3, mode="min", factor=0.5,
                                                         patience=1)
    for v in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7]:
        plateau.step(v)
        log(f"plateau {v}", opt3.param_groups[0]["lr"])
    opt4 = torch.optim.SGD([p], lr=0.2)
    s1 = torch.optim.lr_scheduler.LinearLR(opt4, start_factor=0.25, total_iters=3)
    s2 = torch.optim.lr_scheduler.CosineAnnealingLR(opt4, T_max=5, eta_min=0.01)
    seq = torch.optim.lr_scheduler.SequentialLR(opt4, [s1, s2], milestones=[3])
    lrs = []
    for _ in range(8):
        opt4.step()
        seq.step()
        lrs.append(seq.get_last_lr()[0])
    log("sequential", lrs)


# ------------------------------------------------------------------- DQN: replay and soft update
def dqn(torch, log):
    import collections
    import random
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(7)
    rnd = random.Random(7)
    Transition = collections.namedtuple("Transition", ("state", "action", "next_state", "reward"))

    class DQN(nn.Module):
        def __init__(self, n_observations, n_actions):
            super().__init__()
            self.layer1 = nn.Linear(n_observations, 16)
            self.layer2 = nn.Linear(16, 16)
            self.layer3 = nn.Linear(16, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)

    policy_net, target_net = DQN(4, 2), DQN(4, 2)
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = torch.optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
    GAMMA, TAU = 0.99, 0.005
    memory = []
    for i in range(10):
        state = torch.tensor([[0.1 * i, -0.05 * i, 0.2, 0.01 * i * i]], dtype=torch.float32)
        with torch.no_grad():
            action = policy_net(state).max(1).indices.view(1, 1)
        next_state = None if i % 4 == 3 else state + 0.1
        memory.append(Transition(state, action, next_state, torch.tensor([1.0 - 0.1 * i])))
    for step in range(3):
        transitions = rnd.sample(memory, 6)
        batch = Transition(*zip(*transitions))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                      dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch = torch.cat(batch.state)
        action_batch = torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(6)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected = (next_state_values * GAMMA) + reward_batch
        criterion = nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                          + target_net_state_dict[key] * (1 - TAU))
        target_net.load_state_dict(target_net_state_dict)
        log(f"loss {step}", loss.item())
    log("target layer3", target_net.layer3.weight)
    log("max_exp_avg_sq", optimizer.state[policy_net.layer3.bias]["max_exp_avg_sq"])


# ------------------------------------------------------------------------- FGSM adversarial
def fgsm(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(8)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dropout(0.5), nn.Linear(3 * 3 * 3, 4), nn.LogSoftmax(dim=1))
    model.eval()

    def fgsm_attack(image, epsilon, data_grad):
        sign_data_grad = data_grad.sign()
        perturbed_image = image + epsilon * sign_data_grad
        return torch.clamp(perturbed_image, 0, 1)

    data = torch.rand(2, 1, 8, 8)
    target = torch.tensor([1, 3])
    for epsilon in [0, 0.05, 0.3]:
        x = data.clone()
        x.requires_grad = True
        output = model(x)
        init_pred = output.max(1, keepdim=True)[1]
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = x.grad.data
        perturbed = fgsm_attack(x, epsilon, data_grad)
        output = model(perturbed)
        final_pred = output.max(1, keepdim=True)[1]
        correct = (final_pred.squeeze() == target).sum().item()
        log(f"eps {epsilon}", [loss.item(), correct])
        log(f"eps {epsilon} preds", torch.cat([init_pred, final_pred], 1))
        log(f"eps {epsilon} out", output)
        log(f"eps {epsilon} perturbed", perturbed.detach()[0, 0, :2])


# ---------------------------------------------------------------- neural style transfer, tiny
def neural_style(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(9)

    class ContentLoss(nn.Module):
        def __init__(self, target):
            super().__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super().__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            self.loss = F.mse_loss(gram_matrix(input), self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super().__init__()
            self.mean = torch.tensor(mean).view(-1, 1, 1)
            self.std = torch.tensor(std).view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1)).eval()
    style_img, content_img = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    normalization = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = f"pool_{i}"
        model.add_module(name, layer)
        if name == "conv_2":
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in ("conv_1", "conv_2", "conv_3"):
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], (ContentLoss, StyleLoss)):
            break
    model = model[:(i + 1)]
    log("modules", len(model))
    input_img = content_img.clone()
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = torch.optim.LBFGS([input_img], max_iter=4)
    run = [0]
    for outer in range(2):
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * 1000
            content_score = sum(cl.loss for cl in content_losses) * 1
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            log(f"closure {run[0]}", loss.item())
            return style_score + content_score
        loss = optimizer.step(closure)
        log(f"loss {outer}", loss.item())
    with torch.no_grad():
        input_img.clamp_(0, 1)
    log("runs", run[0])
    log("pixels", input_img[0, :, 0, :3])


# ------------------------------------------------------------------- knowledge distillation
def knowledge_distillation(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(10)
    teacher = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Dropout(0.1), nn.Linear(12, 4))
    student = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4))
    x, y = torch.randn(10, 6), torch.randint(0, 4, (10,))
    ce_loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.Adam(student.parameters(), lr=0.01)
    T, soft_w, ce_w = 2.0, 0.25, 0.75
    teacher.eval()
    student.train()
    for step in range(4):
        optimizer.zero_grad()
        with torch.no_grad():
            teacher_logits = teacher(x)
        student_logits = student(x)
        soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
        soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)
        soft_targets_loss = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) \
            / soft_prob.size()[0] * (T ** 2)
        kl = F.kl_div(soft_prob, soft_targets, reduction="batchmean") * T ** 2
        label_loss = ce_loss(student_logits, y)
        loss = soft_w * soft_targets_loss + ce_w * label_loss
        loss.backward()
        optimizer.step()
        log(f"step {step}", [loss.item(), kl.item(), label_loss.item()])
    cos = nn.CosineEmbeddingLoss()
    a, b = student[0](x), teacher[0](x)[:, :5]
    log("cosine", cos(a, b, torch.ones(10)))
    with torch.no_grad():
        _, predicted = torch.max(student(x), 1)
    log("correct", (predicted == y).sum().item())


# ----------------------------------------- torch.func: per-sample gradients and model ensembling
def func_per_sample_and_ensemble(torch, log):
    import copy
    nn = torch.nn
    F = torch.nn.functional
    from_func = torch.func
    torch.manual_seed(11)

    class SimpleMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(6, 8)
            self.fc2 = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

    model = SimpleMLP()
    data, targets = torch.randn(5, 6), torch.randint(0, 3, (5,))
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch = sample.unsqueeze(0)
        targets = target.unsqueeze(0)
        predictions = from_func.functional_call(model, (params, buffers), (batch,))
        return F.cross_entropy(predictions, targets)

    ft_compute_grad = from_func.grad(compute_loss)
    ft_compute_sample_grad = from_func.vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
    for name, g in ft_per_sample_grads.items():
        log(f"per-sample {name}", g)
    # the same by a loop
    for i in range(2):
        model.zero_grad()
        F.cross_entropy(model(data[i:i + 1]), targets[i:i + 1]).backward()
        log(f"loop {i}", model.fc1.weight.grad)

    models = [SimpleMLP() for _ in range(3)]
    params, buffers = from_func.stack_module_state(models)
    log("stacked", [n for v in params.values() for n in v.shape])
    log("stacked requires_grad", [v.requires_grad for v in params.values()])
    base_model = copy.deepcopy(models[0])     # (the tutorial then moves it to "meta": no
                                              # meta device here, the CPU only)

    def fmodel(params, buffers, x):
        return from_func.functional_call(base_model, (params, buffers), (x,))

    predictions = from_func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data)
    log("ensemble", predictions)
    log("model 1", models[1](data))


# ---------------------------------------------------------------------------- pruning tutorial
def pruning(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    prune = importlib.import_module(torch.__name__ + ".nn.utils.prune")
    torch.manual_seed(12)

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 3, 3)
            self.conv2 = nn.Conv2d(3, 4, 3)
            self.fc1 = nn.Linear(4 * 2 * 2, 6)
            self.fc2 = nn.Linear(6, 3)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, int(x.nelement() / x.shape[0]))
            return self.fc2(F.relu(self.fc1(x)))

    model = LeNet()
    module = model.conv1
    prune.random_unstructured(module, name="weight", amount=0.3)
    log("named buffers", [len(n) for n, _ in module.named_buffers()])
    log("mask", module.weight_mask)
    prune.l1_unstructured(module, name="bias", amount=3)
    log("bias", module.bias)
    prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
    log("weight", module.weight)
    prune.remove(module, "weight")
    log("params", [len(n) for n, _ in module.named_parameters()])
    parameters_to_prune = ((model.conv2, "weight"), (model.fc1, "weight"), (model.fc2, "weight"))
    prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured,
                              amount=0.2)
    log("sparsity", [float(torch.sum(m.weight == 0)) for m, _ in parameters_to_prune])
    x = torch.randn(2, 1, 14, 14)
    out = model(x)
    out.sum().backward()
    log("out", out)
    log("orig grad", model.fc1.weight_orig.grad)
    log("state keys", [len(k) for k in model.state_dict()])


# ------------------------------------------------------------------------------- Bi-LSTM CRF
def bilstm_crf(torch, log):
    nn = torch.nn
    torch.manual_seed(1)
    START_TAG, STOP_TAG = "<START>", "<STOP>"

    def argmax(vec):
        _, idx = torch.max(vec, 1)
        return idx.item()

    def prepare_sequence(seq, to_ix):
        return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)

    def log_sum_exp(vec):
        max_score = vec[0, argmax(vec)]
        max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))

    class BiLSTM_CRF(nn.Module):
        def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
            super().__init__()
            self.hidden_dim = hidden_dim
            self.tag_to_ix = tag_to_ix
            self.tagset_size = len(tag_to_ix)
            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
            self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
            self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
            self.transitions.data[tag_to_ix[START_TAG], :] = -10000
            self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
            self.hidden = self.init_hidden()

        def init_hidden(self):
            return (torch.randn(2, 1, self.hidden_dim // 2),
                    torch.randn(2, 1, self.hidden_dim // 2))

        def _forward_alg(self, feats):
            init_alphas = torch.full((1, self.tagset_size), -10000.)
            init_alphas[0][self.tag_to_ix[START_TAG]] = 0.
            forward_var = init_alphas
            for feat in feats:
                alphas_t = []
                for next_tag in range(self.tagset_size):
                    emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                    trans_score = self.transitions[next_tag].view(1, -1)
                    next_tag_var = forward_var + trans_score + emit_score
                    alphas_t.append(log_sum_exp(next_tag_var).view(1))
                forward_var = torch.cat(alphas_t).view(1, -1)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            return log_sum_exp(terminal_var)

        def _get_lstm_features(self, sentence):
            self.hidden = self.init_hidden()
            embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
            lstm_out, self.hidden = self.lstm(embeds, self.hidden)
            lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
            return self.hidden2tag(lstm_out)

        def _score_sentence(self, feats, tags):
            score = torch.zeros(1)
            tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long), tags])
            for i, feat in enumerate(feats):
                score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            return score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]

        def _viterbi_decode(self, feats):
            backpointers = []
            init_vvars = torch.full((1, self.tagset_size), -10000.)
            init_vvars[0][self.tag_to_ix[START_TAG]] = 0
            forward_var = init_vvars
            for feat in feats:
                bptrs_t, viterbivars_t = [], []
                for next_tag in range(self.tagset_size):
                    next_tag_var = forward_var + self.transitions[next_tag]
                    best_tag_id = argmax(next_tag_var)
                    bptrs_t.append(best_tag_id)
                    viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
                backpointers.append(bptrs_t)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            best_tag_id = argmax(terminal_var)
            path_score = terminal_var[0][best_tag_id]
            best_path = [best_tag_id]
            for bptrs_t in reversed(backpointers):
                best_tag_id = bptrs_t[best_tag_id]
                best_path.append(best_tag_id)
            start = best_path.pop()
            assert start == self.tag_to_ix[START_TAG]
            best_path.reverse()
            return path_score, best_path

        def neg_log_likelihood(self, sentence, tags):
            feats = self._get_lstm_features(sentence)
            return self._forward_alg(feats) - self._score_sentence(feats, tags)

        def forward(self, sentence):
            return self._viterbi_decode(self._get_lstm_features(sentence))

    training_data = [("the wall street journal reported today".split(), "B I I I O O".split()),
                     ("georgia tech is a university".split(), "B I O O O".split())]
    word_to_ix = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}
    model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, 5, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    with torch.no_grad():
        score, path = model(prepare_sequence(training_data[0][0], word_to_ix))
        log("before", score)
        log("before path", path)
    for epoch in range(3):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long)
            loss = model.neg_log_likelihood(sentence_in, targets)
            loss.backward()
            optimizer.step()
        log(f"nll {epoch}", loss)
    with torch.no_grad():
        score, path = model(prepare_sequence(training_data[0][0], word_to_ix))
    log("after", score)
    log("after path", path)


# ------------------------------------------------- text classification with nn.EmbeddingBag
def text_classification(torch, log):
    nn = torch.nn
    data_utils = importlib.import_module(torch.__name__ + ".utils.data")
    torch.manual_seed(13)
    lines = [(1, "a b c d"), (2, "e f g"), (1, "a c"), (3, "h i j k l"), (2, "f f e"),
             (3, "k l"), (1, "d d a b"), (2, "g e"), (3, "j h"), (1, "b")]
    vocab = {w: i for i, w in enumerate("abcdefghijkl")}
    text_pipeline = lambda x: [vocab[w] for w in x.split()]  # noqa: E731
    label_pipeline = lambda x: int(x) - 1  # noqa: E731

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    model = TextClassificationModel(len(vocab), 6, 3)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    train_ds, valid_ds = data_utils.random_split(lines, [7, 3])
    log("split", list(train_ds.indices) + list(valid_ds.indices))
    train_dl = data_utils.DataLoader(train_ds, batch_size=3, shuffle=True,
                                     collate_fn=collate_batch)
    valid_dl = data_utils.DataLoader(valid_ds, batch_size=2, shuffle=False,
                                     collate_fn=collate_batch)
    for epoch in range(2):
        model.train()
        for idx, (label, text, offsets) in enumerate(train_dl):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            log(f"epoch {epoch} batch {idx}", [loss.item(), *label.tolist()])
        model.eval()
        total_acc, total_count = 0, 0
        with torch.no_grad():
            for label, text, offsets in valid_dl:
                predicted_label = model(text, offsets)
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        scheduler.step()
        log(f"epoch {epoch} accuracy", total_acc / total_count)
    bag = nn.EmbeddingBag(5, 3, mode="max")
    bag_sum = nn.EmbeddingBag.from_pretrained(bag.weight.detach(), mode="sum", freeze=False)
    inp, offs = torch.tensor([1, 2, 4, 4, 3]), torch.tensor([0, 2])
    w = torch.tensor([0.5, 1.0, 2.0, -1.0, 0.25])
    out_max = bag(inp, offs)
    out_sum = bag_sum(inp, offs, per_sample_weights=w)
    (out_max.sum() + out_sum.pow(2).sum()).backward()
    log("bag max", out_max)
    log("bag sum", out_sum)
    log("bag max grad", bag.weight.grad)
    log("bag sum grad", bag_sum.weight.grad)


# --------------------------------------------- double backward with a custom Function, gradcheck
def double_backward_custom(torch, log):
    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = torch.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return result * grad_out

    class Sinh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = torch.exp(x)
            expnegx = torch.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    class MyCube(torch.autograd.Function):
        @staticmethod
        def forward(x):
            result = x ** 3
            dx = 3 * x ** 2
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    def sinh(x):
        return Sinh.apply(x)[0]

    x = torch.tensor([0.5, -1.25, 2.0], dtype=torch.double, requires_grad=True)
    log("gradcheck exp", torch.autograd.gradcheck(Exp.apply, x))
    log("gradgradcheck exp", torch.autograd.gradgradcheck(Exp.apply, x))
    log("gradcheck sinh", torch.autograd.gradcheck(sinh, x))
    log("gradgradcheck sinh", torch.autograd.gradgradcheck(sinh, x))
    log("gradgradcheck cube", torch.autograd.gradgradcheck(lambda t: MyCube.apply(t)[0], x))
    y = sinh(x)
    g, = torch.autograd.grad(y.sum(), x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    log("sinh'", g)
    log("sinh''", gg)
    c, dc = MyCube.apply(x)
    g, = torch.autograd.grad(c.sum() + dc.sum(), x, create_graph=True)
    log("cube grads", torch.stack([g, torch.autograd.grad(g.sum(), x)[0]]))
    log("grad_fn name", [y.grad_fn.name() == "SinhBackward", c.grad_fn.name() == "MyCubeBackward"])


# ------------------------------------------------------ fusing conv and batch norm, by hand
def fused_conv_bn(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(14)

    def convolution_backward(grad_out, X, weight):
        grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
        grad_X = F.conv_transpose2d(grad_out, weight)
        return grad_X, grad_input

    class Conv2D(torch.autograd.Function):
        @staticmethod
        def forward(ctx, X, weight):
            ctx.save_for_backward(X, weight)
            return F.conv2d(X, weight)

        @staticmethod
        def backward(ctx, grad_out):
            X, weight = ctx.saved_tensors
            return convolution_backward(grad_out, X, weight)

    def unsqueeze_all(t):
        return t[None, :, None, None]

    def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
        tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
        tmp *= -1
        d_denom = tmp / (sqrt_var + eps) ** 2
        d_var = d_denom / (2 * sqrt_var)
        d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
        d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
        grad_input = X * unsqueeze_all(d_var * N)
        grad_input += unsqueeze_all(-d_var * sum)
        grad_input *= 2 / ((N - 1) * N)
        grad_input += d_mean_dx
        grad_input *= unsqueeze_all(sqrt_var + eps)
        grad_input += grad_out
        grad_input /= unsqueeze_all(sqrt_var + eps)
        return grad_input

    class FusedConvBN2DFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, X, conv_weight, eps=1e-3):
            assert X.ndim == 4
            ctx.save_for_backward(X, conv_weight)
            X = F.conv2d(X, conv_weight)
            sum = X.sum(dim=(0, 2, 3))
            var = X.var(unbiased=True, dim=(0, 2, 3))
            N = X.numel() / X.size(1)
            sqrt_var = torch.sqrt(var)
            ctx.eps = eps
            ctx.sum = sum
            ctx.N = N
            ctx.sqrt_var = sqrt_var
            mean = sum / N
            denom = sqrt_var + eps
            out = X - unsqueeze_all(mean)
            out /= unsqueeze_all(denom)
            return out

        @staticmethod
        def backward(ctx, grad_out):
            X, conv_weight, = ctx.saved_tensors
            X_conv_out = F.conv2d(X, conv_weight)
            grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var,
                                           ctx.N, ctx.eps)
            grad_X, grad_input = convolution_backward(grad_out, X, conv_weight)
            return grad_X, grad_input, None, None, None, None, None

    weight = torch.rand(3, 2, 3, 3, requires_grad=True, dtype=torch.double)
    X = torch.rand(4, 2, 6, 6, requires_grad=True, dtype=torch.double)
    log("gradcheck conv", torch.autograd.gradcheck(Conv2D.apply, (X, weight)))
    a = torch.rand(1, 2, 3, 4, requires_grad=True, dtype=torch.double)
    log("gradcheck bn", torch.autograd.gradcheck(
        lambda t: FusedConvBN2DFunction.apply(t, torch.ones(2, 2, 1, 1, dtype=torch.double)),
        (a,)))
    out = FusedConvBN2DFunction.apply(X, weight)
    (out ** 3).sum().backward()
    log("fused out", out[0, :, 0])
    log("fused dX", X.grad[0, 0])
    log("fused dW", weight.grad[0])
    # the library's own: torch.nn.grad
    x32, w32 = torch.randn(2, 2, 5, 5), torch.randn(3, 2, 3, 3)
    go = torch.randn(2, 3, 3, 3)
    log("conv2d_input", nn.grad.conv2d_input(x32.shape, w32, go))
    log("conv2d_weight", nn.grad.conv2d_weight(x32, w32.shape, go))


# ---------------------------------------------------------------------- saved tensors hooks
def saved_tensor_hooks(torch, log):
    torch.manual_seed(15)
    packed = []

    def pack_hook(x):
        packed.append(tuple(x.shape))
        return x.clone()

    def unpack_hook(x):
        return x * 1

    a = torch.randn(5, requires_grad=True)
    b = torch.ones(5, requires_grad=True) * 2
    with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
        y = a * b
        z = (y.sin() * a).exp().sum()
    z.backward()
    log("z", z)
    log("a.grad", a.grad)
    log("packed count", len(packed))
    x = torch.randn(3, requires_grad=True)
    y = x.pow(2)
    log("_saved_self", y.grad_fn._saved_self)
    log("_saved_exponent", y.grad_fn._saved_exponent)
    log("equal", y.grad_fn._saved_self is x)
    y = x.exp()
    log("_saved_result", y.grad_fn._saved_result)
    log("result is y", y.grad_fn._saved_result.equal(y))


# -------------------------------------------------- Jacobians, Hessians, hvp (torch.func)
def jacobians_hessians(torch, log):
    F = torch.nn.functional
    from_func = torch.func
    torch.manual_seed(16)
    D = 4
    weight = torch.randn(D, D)
    bias = torch.randn(D)
    x = torch.randn(D)

    def predict(weight, bias, x):
        return F.linear(x, weight, bias).tanh()

    jacobian = from_func.jacrev(predict, argnums=2)(weight, bias, x)
    log("jacrev", jacobian)
    log("jacfwd", from_func.jacfwd(predict, argnums=2)(weight, bias, x))
    ft_jac_weight, ft_jac_bias = from_func.jacrev(predict, argnums=(0, 1))(weight, bias, x)
    log("jac weight", ft_jac_weight)
    log("jac bias", ft_jac_bias)
    hess = from_func.hessian(predict, argnums=2)(weight, bias, x)
    log("hessian", hess)
    batch_x = torch.randn(3, D)
    compute_batch_jacobian = from_func.vmap(from_func.jacrev(predict, argnums=2),
                                            in_dims=(None, None, 0))
    log("batch jacobian", compute_batch_jacobian(weight, bias, batch_x))

    def hvp(f, primals, tangents):
        return from_func.jvp(from_func.grad(f), primals, tangents)[1]

    def f(x):
        return x.sin().sum()

    xs, tangent = torch.randn(5), torch.randn(5)
    log("hvp", hvp(f, (xs,), (tangent,)))
    log("autograd hvp", torch.autograd.functional.hvp(f, xs, tangent)[1])
    log("autograd jacobian", torch.autograd.functional.jacobian(
        lambda a: predict(weight, bias, a), x))
    log("autograd hessian", torch.autograd.functional.hessian(f, xs))


# ------------------------------------------------------- Dataset, DataLoader and samplers
def datasets_and_loaders(torch, log):
    data_utils = importlib.import_module(torch.__name__ + ".utils.data")
    torch.manual_seed(17)

    class SquaresDataset(data_utils.Dataset):
        def __init__(self, n):
            self.x = torch.arange(n, dtype=torch.float32)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.x[idx] ** 2

    ds = SquaresDataset(10)
    g = torch.Generator()
    g.manual_seed(0)
    dl = data_utils.DataLoader(ds, batch_size=4, shuffle=True, generator=g, drop_last=False)
    for epoch in range(2):
        for i, (xb, yb) in enumerate(dl):
            log(f"epoch {epoch} batch {i}", torch.stack([xb, yb]))
    dl2 = data_utils.DataLoader(ds, batch_size=3, shuffle=True)
    log("global-seeded order", torch.cat([xb for xb, _ in dl2]))
    sampler = data_utils.WeightedRandomSampler([0.1, 0.9, 0.4, 0.4, 2.0], num_samples=8,
                                               replacement=True)
    log("weighted", list(sampler))
    sub = data_utils.SubsetRandomSampler([1, 3, 5, 7])
    log("subset", list(sub))
    batches = list(data_utils.BatchSampler(data_utils.RandomSampler(range(7)), 3, False))
    log("batch sampler", [i for b in batches for i in b])
    tds = data_utils.TensorDataset(torch.arange(6.0), torch.arange(6) % 2)
    cat = data_utils.ConcatDataset([tds, tds])
    log("concat", [len(cat), cat[7][0].item(), cat[7][1].item()])
    train, val = data_utils.random_split(range(10), [0.7, 0.3])
    log("fraction split", list(train) + list(val))
    log("after", torch.rand(3))


# -------------------------------------------- stochastic weight averaging and update_bn
def swa(torch, log):
    nn = torch.nn
    swa_utils = importlib.import_module(torch.__name__ + ".optim.swa_utils")
    torch.manual_seed(18)
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    swa_model = swa_utils.AveragedModel(model)
    ema_model = swa_utils.AveragedModel(model,
                                        multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    swa_start = 3
    swa_scheduler = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
    x, y = torch.randn(12, 3), torch.randn(12, 1)
    loader = [(x[:6], y[:6]), (x[6:], y[6:])]
    for epoch in range(6):
        for xb, yb in loader:
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(xb), yb).backward()
            optimizer.step()
        ema_model.update_parameters(model)
        if epoch > swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        log(f"lr {epoch}", optimizer.param_groups[0]["lr"])
    swa_utils.update_bn(loader, swa_model)
    log("n_averaged", swa_model.n_averaged)
    log("swa weight", swa_model.module[0].weight)
    log("ema weight", ema_model.module[0].weight)
    log("swa running mean", swa_model.module[1].running_mean)
    with torch.no_grad():
        log("swa pred", swa_model(x[:3]))


# ------------------------------------------- saving and loading: tensors, strict=False
def save_and_load(torch, log):
    nn = torch.nn
    torch.manual_seed(20)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)      # (the whole model pickled: see the notes below)
    buf.seek(0)
    other = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Linear(2, 1))
    result = other.load_state_dict(torch.load(buf), strict=False)
    log("missing", [len(k) for k in result.missing_keys])
    log("unexpected", len(result.unexpected_keys))
    x = torch.randn(2, 3)
    log("same", torch.equal(model(x), other[:3](x)))
    log("out", other(x))
    buf = io.BytesIO()
    torch.save({"w": model[0].weight, "t": torch.arange(5)[1:4], "list": [1, 2.5]}, buf)
    buf.seek(0)
    d = torch.load(buf)
    log("w", d["w"])
    log("t", d["t"])
    log("list", d["list"])
    log("w is param", [isinstance(d["w"], nn.Parameter), d["w"].requires_grad])
    buf.seek(0)
    try:
        torch.load(buf, map_location="cpu", weights_only=True, mmap=False)
        log("map_location ok", 1)
    except Exception as e:  # noqa: BLE001
        log(f"map_location {type(e).__name__}", 0)


# ----------------------------------------------------- contrastive (SimCLR-style) and metrics
def contrastive(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(21)
    encoder = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 4))
    opt = torch.optim.AdamW(encoder.parameters(), lr=3e-3, weight_decay=0.05)
    x = torch.randn(4, 6)
    temperature = 0.5
    for step in range(3):
        aug1 = x + 0.1 * torch.randn_like(x)
        aug2 = x * (1 + 0.1 * torch.randn_like(x))
        feats = F.normalize(encoder(torch.cat([aug1, aug2], dim=0)), dim=1)
        cos_sim = F.cosine_similarity(feats[:, None, :], feats[None, :, :], dim=-1)
        self_mask = torch.eye(cos_sim.shape[0], dtype=torch.bool)
        cos_sim.masked_fill_(self_mask, -9e15)
        pos_mask = self_mask.roll(shifts=cos_sim.shape[0] // 2, dims=0)
        cos_sim = cos_sim / temperature
        nll = -cos_sim[pos_mask] + torch.logsumexp(cos_sim, dim=-1)
        nll = nll.mean()
        opt.zero_grad()
        nll.backward()
        opt.step()
        comb_sim = torch.cat([cos_sim[pos_mask][:, None], cos_sim.masked_fill(pos_mask, -9e15)],
                             dim=-1)
        sim_argsort = comb_sim.argsort(dim=-1, descending=True).argmin(dim=-1)
        log(f"nll {step}", nll.item())
        log(f"acc top1 {step}", (sim_argsort == 0).float().mean().item())
    a, p, n = torch.randn(5, 4, requires_grad=True), torch.randn(5, 4), torch.randn(5, 4)
    losses = [nn.TripletMarginLoss(margin=1.0, p=2)(a, p, n),
              nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance())(a, p, n),
              nn.CosineEmbeddingLoss(margin=0.2)(a, p, torch.tensor([1, -1, 1, -1, 1])),
              nn.MarginRankingLoss(margin=0.1)(a[:, 0], p[:, 0], torch.tensor([1, -1, 1, 1, -1])),
              nn.HingeEmbeddingLoss()(torch.cdist(a, p)[0], torch.tensor([1, -1, 1, -1, 1])),
              F.pairwise_distance(a, p).sum(), torch.cdist(a, n, p=1).sum()]
    for i, l in enumerate(losses):
        g, = torch.autograd.grad(l, a)
        log(f"metric {i}", l)
        log(f"metric {i} grad", g)


# ---------------------------------------------- char-level generation: 2-layer LSTM, sampling
def char_generation(torch, log):
    nn = torch.nn
    torch.manual_seed(22)
    text = "hello world, hello there"
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text])

    class CharLSTM(nn.Module):
        def __init__(self, vocab, hidden):
            super().__init__()
            self.embed = nn.Embedding(vocab, 6)
            self.lstm = nn.LSTM(6, hidden, num_layers=2, dropout=0.3, batch_first=True)
            self.fc = nn.Linear(hidden, vocab)

        def forward(self, x, state=None):
            out, state = self.lstm(self.embed(x), state)
            return self.fc(out), state

    model = CharLSTM(len(chars), 10)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xs = torch.stack([data[i:i + 8] for i in range(0, 15, 5)])
    ys = torch.stack([data[i + 1:i + 9] for i in range(0, 15, 5)])
    for step in range(4):
        model.train()
        logits, _ = model(xs)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), ys.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=2.0)
        opt.step()
        log(f"loss {step}", loss.item())
    model.eval()
    idx = torch.tensor([[stoi["h"]]])
    state = None
    generated = []
    with torch.no_grad():
        for _ in range(10):
            logits, state = model(idx, state)
            output_dist = logits.squeeze().div(0.8).exp()
            top_i = torch.multinomial(output_dist, 1)[0]
            probs = torch.softmax(logits[:, -1, :] / 0.8, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1)
            generated += [top_i.item(), nxt.item()]
            idx = nxt
    log("generated", generated)
    log("state h", state[0])
    log("without replacement", torch.multinomial(torch.tensor([0.1, 2.0, 0.5, 1.0, 0.0]), 4))


# ----------------------------------------------------------------- UNet-style segmentation
def unet_segmentation(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(23)

    class DoubleConv(nn.Module):
        def __init__(self, cin, cout, norm):
            super().__init__()
            self.double_conv = nn.Sequential(
                nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False), norm(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, kernel_size=3, padding=1, bias=False), norm(cout),
                nn.ReLU(inplace=True))

        def forward(self, x):
            return self.double_conv(x)

    class Up(nn.Module):
        def __init__(self, cin, cout, bilinear):
            super().__init__()
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            else:
                self.up = nn.ConvTranspose2d(cin, cin, kernel_size=2, stride=2)
            self.conv = DoubleConv(2 * cin, cout, lambda c: nn.GroupNorm(2, c))

        def forward(self, x1, x2):
            x1 = self.up(x1)
            diffY = x2.size()[2] - x1.size()[2]
            diffX = x2.size()[3] - x1.size()[3]
            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
            return self.conv(torch.cat([x2, x1], dim=1))

    class UNet(nn.Module):
        def __init__(self, bilinear):
            super().__init__()
            self.inc = DoubleConv(1, 4, nn.BatchNorm2d)
            self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(4, 4, nn.InstanceNorm2d))
            self.up = Up(4, 4, bilinear)
            self.outc = nn.Conv2d(4, 2, kernel_size=1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down(x1)
            return self.outc(self.up(x2, x1))

    def dice_loss(input, target, epsilon=1e-6):
        sum_dim = (-1, -2, -3)
        inter = 2 * (input * target).sum(dim=sum_dim)
        sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
        sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
        dice = (inter + epsilon) / (sets_sum + epsilon)
        return 1 - dice.mean()

    images = torch.rand(2, 1, 9, 9)
    masks = (images > 0.5).long().squeeze(1)
    for bilinear in (True, False):
        model = UNet(bilinear)
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.9,
                                  foreach=True)
        grad_scaler = torch.amp.GradScaler("cpu", enabled=False)
        for step in range(3):
            masks_pred = model(images)
            loss = F.cross_entropy(masks_pred, masks)
            loss += dice_loss(F.softmax(masks_pred, dim=1).float(),
                              F.one_hot(masks, 2).permute(0, 3, 1, 2).float())
            opt.zero_grad(set_to_none=True)
            grad_scaler.scale(loss).backward()
            grad_scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            grad_scaler.step(opt)
            grad_scaler.update()
            log(f"{bilinear} loss {step}", loss.item())
        model.eval()
        with torch.no_grad():
            pred = model(images)
        log(f"{bilinear} pred", pred[0, :, :2, :3])
    x = torch.rand(1, 2, 5, 7, requires_grad=True)
    for kw in [dict(size=(8, 9), mode="bicubic", align_corners=False),
               dict(scale_factor=0.5, mode="bilinear", antialias=True),
               dict(scale_factor=1.7, mode="nearest-exact"),
               dict(size=(3, 4), mode="area")]:
        y = F.interpolate(x, **kw)
        g, = torch.autograd.grad(y.pow(2).sum(), x)
        log(f"interp {kw['mode']}", y)
        log(f"interp {kw['mode']} grad", g)


# ------------------------------------------------------------------------------- tiny ViT
def vit_tiny(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(24)

    class Attention(nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(dim, dim * 3, bias=False)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=0.1 if self.training else 0.0)
            return self.proj(x.transpose(1, 2).reshape(B, N, C))

    class Block(nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.norm1 = nn.LayerNorm(dim, eps=1e-6)
            self.attn = Attention(dim, heads)
            self.norm2 = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(approximate="tanh"),
                                     nn.Dropout(0.1), nn.Linear(2 * dim, dim))

        def forward(self, x):
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    class ViT(nn.Module):
        def __init__(self, dim=8, patch=2, img=4, classes=3):
            super().__init__()
            self.patch_embed = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)
            n = (img // patch) ** 2
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
            self.blocks = nn.ModuleList([Block(dim, 2) for _ in range(2)])
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, classes)
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
            nn.init.trunc_normal_(self.cls_token, std=0.02)
            self.apply(self._init_weights)

        def _init_weights(self, m):
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.LayerNorm):
                nn.init.constant_(m.bias, 0)
                nn.init.constant_(m.weight, 1.0)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

        def forward(self, x):
            x = self.patch_embed(x).flatten(2).transpose(1, 2)
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
            x = x + self.pos_embed
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.norm(x)[:, 0])

    model = ViT()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos_embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "pos_embed" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}], lr=1e-3,
                            betas=(0.9, 0.95))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 2))
    x, y = torch.randn(3, 1, 4, 4), torch.tensor([0, 1, 2])
    for step in range(3):
        model.train()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        log(f"loss {step}", loss.item())
        log(f"lr {step}", sched.get_last_lr())
    model.eval()
    with torch.no_grad():
        log("logits", model(x))
    q, k, v = torch.randn(1, 2, 3, 4), torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)
    mask = torch.tensor([[True, True, False, True, True]])
    log("sdpa masked", F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.3))
    log("sdpa causal", F.scaled_dot_product_attention(q, k[:, :, :3], v[:, :, :3],
                                                      is_causal=True))


# --------------------------------------------- distributions: a flow, a mixture, a policy
def distributions_tour(torch, log):
    D = torch.distributions
    torch.manual_seed(25)
    loc = torch.zeros(2, requires_grad=True)
    scale_tril = torch.tensor([[1.0, 0.0], [0.5, 0.8]], requires_grad=True)
    mvn = D.MultivariateNormal(loc, scale_tril=scale_tril)
    x = mvn.rsample((3,))
    lp = mvn.log_prob(x)
    lp.sum().backward()
    log("mvn x", x)
    log("mvn lp", lp)
    log("mvn grad tril", scale_tril.grad)
    log("mvn entropy", mvn.entropy())
    mix = D.Categorical(torch.tensor([0.3, 0.7]))
    comp = D.Independent(D.Normal(torch.tensor([[-1.0, 0.0], [1.0, 2.0]]),
                                  torch.tensor([[0.5, 1.0], [1.5, 0.7]])), 1)
    gmm = D.MixtureSameFamily(mix, comp)
    s = gmm.sample((4,))
    log("gmm sample", s)
    log("gmm log_prob", gmm.log_prob(s))
    log("gmm mean", gmm.mean)
    base = D.Normal(torch.zeros(3), torch.ones(3))
    tanh_normal = D.TransformedDistribution(base, [D.transforms.TanhTransform(cache_size=1),
                                                   D.transforms.AffineTransform(0.5, 2.0)])
    a = tanh_normal.rsample((2,))
    log("squashed", a)
    log("squashed lp", tanh_normal.log_prob(a))
    beta = D.Beta(torch.tensor([2.0, 0.5]), torch.tensor([3.0, 0.5]))
    log("beta", beta.sample((3,)))
    log("kl", D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(torch.tensor([0.5, -1.0]), 2.0)))
    pol = D.Normal(torch.tensor([0.1, -0.2]), torch.tensor([0.3, 0.4]))
    act = pol.sample()
    log("ppo ratio", torch.exp(pol.log_prob(act) - pol.log_prob(act).detach() + 0.01))
    log("bernoulli", D.Bernoulli(logits=torch.tensor([0.3, -2.0, 4.0])).sample((2,)))
    log("poisson", D.Poisson(torch.tensor([0.5, 4.0, 30.0])).sample())
    log("dirichlet", D.Dirichlet(torch.tensor([0.5, 1.0, 2.0])).sample())
    log("gamma", D.Gamma(torch.tensor([0.3, 2.5]), 1.5).rsample())
    log("onehot", D.OneHotCategorical(logits=torch.tensor([0.0, 1.0, 2.0])).sample((2,)))
    log("after", torch.rand(2))


# ------------------------------------------------------------------------ schedulers tour
def schedulers_tour(torch, log):
    S = torch.optim.lr_scheduler
    torch.manual_seed(26)

    def lrs(make, steps=8, opt_kwargs=None, name="SGD"):
        p = torch.nn.Parameter(torch.ones(2))
        opt = getattr(torch.optim, name)([p], **(opt_kwargs or {"lr": 0.1, "momentum": 0.9}))
        sched = make(opt)
        out = []
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0]["lr"])
            if "momentum" in opt.param_groups[0]:
                out.append(opt.param_groups[0]["momentum"])
            elif "betas" in opt.param_groups[0]:
                out.append(opt.param_groups[0]["betas"][0])
        sd = sched.state_dict()
        sched2 = make(opt)
        sched2.load_state_dict(sd)
        out.append(sched2.get_last_lr()[0])
        return out

    log("multistep", lrs(lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.3)))
    log("exponential", lrs(lambda o: S.ExponentialLR(o, gamma=0.8)))
    log("cyclic", lrs(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                           mode="triangular2")))
    log("cyclic exp", lrs(lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                               mode="exp_range", gamma=0.9)))
    log("warm restarts", lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                     eta_min=0.001), 10))
    log("onecycle three", lrs(lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=9,
                                                     three_phase=True, anneal_strategy="linear")))
    log("onecycle adam", lrs(lambda o: S.OneCycleLR(o, max_lr=0.3, epochs=2, steps_per_epoch=4),
                             opt_kwargs={"lr": 0.1}, name="Adam"))
    log("polynomial", lrs(lambda o: S.PolynomialLR(o, total_iters=5, power=2.0)))
    log("constant", lrs(lambda o: S.ConstantLR(o, factor=0.5, total_iters=3)))
    log("multiplicative", lrs(lambda o: S.MultiplicativeLR(o, lambda e: 0.9)))
    log("chained", lrs(lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1,
                                                                   total_iters=2),
                                                      S.ExponentialLR(o, gamma=0.9)])))
    log("cosine", lrs(lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), 10))
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=1.0)
    plateau = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1,
                                  threshold_mode="abs", cooldown=1, min_lr=1e-3)
    out = []
    for metric in [1.0, 1.05, 1.2, 1.2, 1.2, 1.25, 1.3, 1.0, 0.5]:
        plateau.step(metric)
        out.append(plateau.get_last_lr()[0])
    log("plateau", out)


# ----------------------------------------------- sequence models: packed, bidirectional, stacked
def sequence_models(torch, log):
    nn = torch.nn
    rnn_utils = torch.nn.utils.rnn
    torch.manual_seed(27)
    seqs = [torch.randn(n, 3) for n in (4, 2, 5)]
    lengths = torch.tensor([len(s) for s in seqs])
    padded = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=0.0)
    packed = rnn_utils.pack_padded_sequence(padded, lengths, batch_first=True,
                                            enforce_sorted=False)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, dropout=0.25)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False)
    lstm_p = nn.LSTM(3, 6, proj_size=2)
    opt = torch.optim.Adagrad(list(lstm.parameters()) + list(gru.parameters()), lr=0.1)
    for step in range(2):
        out, (h, c) = lstm(packed)
        unpacked, out_lens = rnn_utils.pad_packed_sequence(out, batch_first=True,
                                                           total_length=6)
        g_out, g_h = gru(padded.transpose(0, 1))
        loss = unpacked.pow(2).sum() + h.sum() + c.abs().sum() + g_out.mean() + g_h.std()
        opt.zero_grad()
        loss.backward()
        opt.step()
        log(f"loss {step}", loss.item())
    log("unpacked", unpacked[1])
    log("lengths", out_lens)
    log("h", h)
    r_out, r_h = rnn(padded.transpose(0, 1))
    log("relu rnn", r_h)
    p_out, (p_h, p_c) = lstm_p(padded.transpose(0, 1))
    log("proj", p_out[-1])
    log("proj c", p_c)
    packed2 = rnn_utils.pack_sequence([s for s in sorted(seqs, key=len, reverse=True)])
    log("batch sizes", packed2.batch_sizes)
    cell = nn.GRUCell(3, 4)
    hx = torch.zeros(3, 4)
    for t in range(2):
        hx = cell(padded[:, t], hx)
    log("gru cell", hx)
    lcell = nn.LSTMCell(3, 4)
    hx, cx = lcell(padded[:, 0])
    log("lstm cell", torch.cat([hx, cx]))


# ------------------------------------------------- attention: MultiheadAttention, Transformer
def attention_models(torch, log):
    nn = torch.nn
    torch.manual_seed(28)
    mha = nn.MultiheadAttention(8, 2, dropout=0.1, batch_first=True, kdim=6, vdim=5)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 4, 6), torch.randn(2, 4, 5)
    kpm = torch.tensor([[False, False, True, True], [False, False, False, True]])
    mha.train()
    out, w = mha(q, k, v, key_padding_mask=kpm, need_weights=True, average_attn_weights=False)
    out.sum().backward()
    log("mha out", out)
    log("mha weights", w)
    log("mha grad", mha.q_proj_weight.grad)
    mha.eval()
    with torch.no_grad():
        out, w = mha(q, k, v, key_padding_mask=kpm)
    log("mha eval", out)
    log("mha eval w", w)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                           dim_feedforward=12, dropout=0.1, activation="gelu",
                           batch_first=True, norm_first=True)
    src, tgt = torch.randn(2, 5, 8), torch.randn(2, 4, 8)
    tgt_mask = model.generate_square_subsequent_mask(4)
    src_kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    opt = torch.optim.NAdam(model.parameters(), lr=1e-2)
    for step in range(2):
        model.train()
        out = model(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_kpm,
                    memory_key_padding_mask=src_kpm, tgt_is_causal=True)
        loss = (out * torch.linspace(-1, 1, 8)).sum()   # (not out²: layer-normed, constant)
        opt.zero_grad()
        loss.backward()
        opt.step()
        log(f"transformer loss {step}", loss.item())
    model.eval()
    with torch.no_grad():
        log("transformer eval", model(src, tgt, tgt_mask=tgt_mask)[0])
    dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)
    log("decoder layer", dec(tgt.transpose(0, 1), src.transpose(0, 1))[0])


# ------------------------------------------------------------ speech: Conv1d + CTC loss
def speech_ctc(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(29)

    class M5(nn.Module):
        def __init__(self, n_input=1, n_output=5, stride=4, n_channel=4):
            super().__init__()
            self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=20, stride=stride)
            self.bn1 = nn.BatchNorm1d(n_channel)
            self.pool1 = nn.MaxPool1d(2)
            self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
            self.bn2 = nn.GroupNorm(2, n_channel)
            self.pool2 = nn.AvgPool1d(2)
            self.fc1 = nn.Linear(n_channel, n_output)

        def forward(self, x):
            x = self.pool1(F.relu(self.bn1(self.conv1(x))))
            x = self.pool2(F.relu(self.bn2(self.conv2(x))))
            x = F.adaptive_avg_pool1d(x, 1)
            x = x.permute(0, 2, 1)
            return F.log_softmax(self.fc1(x), dim=2)

    model = M5()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.0001)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    data, target = torch.randn(3, 1, 120), torch.tensor([1, 4, 0])
    for step in range(3):
        output = model(data)
        loss = F.nll_loss(output.squeeze(), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        log(f"loss {step}", loss.item())
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log("params", n_params)
    T, N, C, S = 12, 2, 5, 4
    feats = nn.Conv1d(3, C, 3, padding=1)
    upsample = nn.ConvTranspose1d(C, C, 2, stride=2)
    x = torch.randn(N, 3, T // 2)
    targets = torch.randint(1, C, (N, S), dtype=torch.long)
    input_lengths = torch.full((N,), T, dtype=torch.long)
    target_lengths = torch.tensor([4, 2])
    for reduction in ("mean", "sum", "none"):
        log_probs = upsample(feats(x)).permute(2, 0, 1).log_softmax(2)
        ctc = nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)
        loss = ctc(log_probs, targets, input_lengths, target_lengths)
        g, = torch.autograd.grad(loss.sum(), feats.weight)
        log(f"ctc {reduction}", loss)
        log(f"ctc {reduction} grad", g)
    greedy = log_probs.argmax(2).transpose(0, 1)
    log("greedy", greedy)


# ----------------------------------------- gradient accumulation, clipping, freezing, hooks
def grad_accumulation(torch, log):
    nn = torch.nn
    torch.manual_seed(30)
    model = nn.Sequential(nn.Linear(4, 6), nn.SiLU(), nn.LayerNorm(6), nn.Linear(6, 2))
    for p in model[0].parameters():
        p.requires_grad = False
    seen = []
    model[3].weight.register_hook(lambda g: seen.append(g.norm().item()))
    handle = model[2].register_forward_hook(lambda m, i, o: seen.append(o.mean().item()))
    accumulated = []
    model[3].bias.register_post_accumulate_grad_hook(
        lambda p: accumulated.append(p.grad.sum().item()))
    opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1,
                          momentum=0.9, dampening=0.1, maximize=False)
    x, y = torch.randn(8, 4), torch.randn(8, 2)
    accum = 4
    for step in range(2):
        for i in range(accum):
            xb, yb = x[2 * i:2 * i + 2], y[2 * i:2 * i + 2]
            loss = nn.functional.huber_loss(model(xb), yb, delta=0.5) / accum
            loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.05, norm_type="inf",
                                        foreach=True)
        log(f"norm {step}", norm)
        opt.step()
        opt.zero_grad(set_to_none=False)
        log(f"grad after zero {step}", model[3].bias.grad)
    handle.remove()
    model(x)
    log("hooks", seen)
    log("accumulated", accumulated)
    log("frozen grad", [model[0].weight.grad is None])
    log("weights", model[3].weight)
    log("total norm", nn.utils.get_total_norm([p.detach() for p in model.parameters()], 3.0))
    vec = nn.utils.parameters_to_vector(model.parameters())
    nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
    log("halved", model[2].weight)


# ------------------------------------------------- dtypes: double, half inference, default dtype
def dtype_programs(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(31)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8, 3))
    x = torch.randn(2, 1, 4, 4)
    double = copy_module(model).double()
    opt = torch.optim.SGD(double.parameters(), lr=0.1)
    for step in range(2):
        loss = F.cross_entropy(double(x.double()), torch.tensor([0, 2]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        log(f"double loss {step}", loss.item())
    log("double dtype", [double[0].weight.dtype == torch.float64,
                         double[1].running_mean.dtype == torch.float64,
                         double[1].num_batches_tracked.dtype == torch.int64])
    half = copy_module(model).half().eval()
    with torch.no_grad():
        out = half(x.half())
    log("half out", out.float())
    log("half dtype", [out.dtype == torch.float16])
    torch.set_default_dtype(torch.float64)
    try:
        lin = nn.Linear(3, 2)
        t = torch.tensor([1.5, 2.0])
        log("default float64", [lin.weight.dtype == torch.float64, t.dtype == torch.float64,
                                torch.arange(3.0).dtype == torch.float64,
                                torch.randn(2).dtype == torch.float64])
        log("float64 values", lin(torch.randn(2, 3)))
    finally:
        torch.set_default_dtype(torch.float32)
    ints = torch.tensor([3, -7, 8]) // torch.tensor([2, 2, -3])
    log("floor div", ints)
    log("true div int", torch.tensor([3, 4]) / 2)
    log("int mean", torch.tensor([1, 2, 4]).float().mean())
    log("promote", [(torch.tensor([1], dtype=torch.int32) + 1.5).dtype == torch.float32,
                    (torch.tensor([1.0], dtype=torch.float16) + torch.tensor([1.0])).dtype
                    == torch.float32,
                    (torch.tensor(2.0, dtype=torch.float64) * torch.ones(2)).dtype
                    == torch.float32])


def copy_module(m):
    import copy
    return copy.deepcopy(m)


# --------------------------------- checkpointing, batched grads, parametrizations, module hooks
def autograd_extras(torch, log):
    nn = torch.nn
    checkpoint = importlib.import_module(torch.__name__ + ".utils.checkpoint")
    parametrize = importlib.import_module(torch.__name__ + ".nn.utils.parametrize")
    torch.manual_seed(32)
    block = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.GELU(), nn.Linear(8, 4))
    x = torch.randn(3, 4, requires_grad=True)
    y = checkpoint.checkpoint(block, x, use_reentrant=False)
    y2 = checkpoint.checkpoint_sequential(block, 2, x, use_reentrant=False)
    (y.sum() + y2.pow(2).sum()).backward()
    log("checkpointed", y)
    log("x.grad", x.grad)
    log("w grad", block[0].weight.grad)
    out = torch.randn(3)
    inp = torch.randn(3, requires_grad=True)
    z = inp.sin() * out
    eye = torch.eye(3)
    jac, = torch.autograd.grad(z, inp, eye, is_grads_batched=True)
    log("batched grads", jac)
    log("vectorized jacobian", torch.autograd.functional.jacobian(
        lambda t: t.tanh() * t, inp.detach(), vectorize=True, strategy="reverse-mode"))

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    log("symmetric", layer.weight)
    log("is parametrized", [parametrize.is_parametrized(layer),
                            parametrize.is_parametrized(layer, "bias")])
    with parametrize.cached():
        o = layer(torch.randn(2, 3))
    o.sum().backward()
    log("original grad", layer.parametrizations.weight.original.grad)
    ortho = nn.utils.parametrizations.orthogonal(nn.Linear(4, 4))
    q = ortho.weight
    log("orthogonal", q @ q.T)
    wn = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    log("weight norm g", wn.parametrizations.weight.original0)
    grads = []
    m = nn.Linear(3, 2)
    m.register_full_backward_hook(lambda mod, gin, gout: grads.append(
        [None if g is None else g.sum().item() for g in gin + gout]))
    m.register_full_backward_pre_hook(lambda mod, gout: grads.append([gout[0].sum().item()]))
    m(torch.randn(4, 3, requires_grad=True)).pow(2).sum().backward()
    log("module hooks", [v for g in grads for v in g])
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    b.retain_grad()
    c = b.exp().sum()
    c.backward(retain_graph=True)
    c.backward()
    log("retained", b.grad)
    log("accumulated", a.grad)
    with torch.autograd.set_detect_anomaly(True):
        d = (a * 2).sum()
        d.backward()
    log("after anomaly", a.grad)
    with torch.inference_mode():
        e = a * 2
    log("inference", [e.requires_grad, torch.is_inference_mode_enabled()])


# ------------------------------------------------------- random draws the tutorials make
def random_draws(torch, log):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(33)
    n = 6
    data = torch.arange(n * 2.0).view(n, 2)
    perm = torch.randperm(n)
    log("shuffled", data[perm])
    log("smoothed labels", torch.empty(4).uniform_(0.9, 1.0))
    log("bernoulli", torch.bernoulli(torch.full((5,), 0.3)))
    log("normal", torch.normal(torch.zeros(3), torch.tensor([1.0, 0.1, 10.0])))
    log("normal_", torch.empty(2, 2).normal_(mean=1.0, std=0.5))
    log("randint_like", torch.randint_like(data, 0, 10))
    log("gumbel hard", F.gumbel_softmax(torch.tensor([[1.0, 2.0, 0.5]]), tau=0.5, hard=True))
    log("gumbel soft", F.gumbel_softmax(torch.tensor([[1.0, 2.0, 0.5]]), tau=1.0))
    log("dropout2d", F.dropout2d(torch.ones(1, 4, 2, 2), p=0.5, training=True))
    log("alpha dropout", F.alpha_dropout(torch.ones(6), p=0.3, training=True))
    log("exponential", torch.empty(3).exponential_(2.0))
    log("geometric", torch.empty(3).geometric_(0.3))
    log("cauchy", torch.empty(2).cauchy_())
    log("log_normal", torch.empty(2).log_normal_(0.0, 0.5))
    log("random_", torch.empty(3, dtype=torch.int64).random_(0, 100))
    log("poisson", torch.poisson(torch.tensor([1.0, 5.0, 20.0])))
    log("multinomial", torch.multinomial(torch.tensor([[0.2, 0.8], [0.5, 0.5]]), 3,
                                         replacement=True))
    for init in [lambda w: nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh")),
                 lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5)),
                 lambda w: nn.init.orthogonal_(w, gain=2.0),
                 lambda w: nn.init.sparse_(w, sparsity=0.5),
                 lambda w: nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=1.5),
                 lambda w: nn.init.uniform_(w, -0.1, 0.1),
                 lambda w: nn.init.kaiming_normal_(w, mode="fan_out")]:
        log("init", init(torch.empty(3, 4)))
    g = torch.Generator().manual_seed(7)
    log("generator", torch.randn(3, generator=g))
    state = torch.get_rng_state()
    a = torch.rand(2)
    torch.set_rng_state(state)
    log("replayed", torch.stack([a, torch.rand(2)]))
    with torch.random.fork_rng():
        torch.rand(5)
    log("after fork", torch.rand(2))
    log("seed", torch.initial_seed())


# (program, tolerance in float32 ulps of each printed row's scale). Single ops agree to about
# one ulp (their accumulation order is BLAS's or NumPy's, not torch's); training amplifies that
# where gradients nearly cancel and Adam divides them by their own size (vit_tiny's zero-started
# biases), where the input moves the sampling grid (spatial_transformer), and in L-BFGS's line
# searches and curvature pairs (lbfgs_regression; neural_style, whose closure also clamps);
# the NumPy kernel set sums in yet other orders (unet_segmentation's im2col convolutions, and
# grad_accumulation's means of LayerNorm outputs, ~1e-8 noise around 0: ~20 ulps of the row).
PROGRAMS = [
    (polynomial_custom_function, 4), (polynomial_nn_optim, 4), (char_rnn_classification, 4),
    (seq2seq_attention, 4), (lstm_pos_tagger, 4), (ngram_embeddings, 4), (transformer_lm, 8),
    (dcgan, 8), (vae, 4), (spatial_transformer, 96), (reinforce, 8),
    (lbfgs_regression, 256 if INTEL_CPU else 128),   # (Intel: 205, helpers.INTEL_CPU)
    (checkpoint_and_scheduler, 4), (dqn, 4), (fgsm, 4), (neural_style, 512),
    (knowledge_distillation, 4), (func_per_sample_and_ensemble, 4), (pruning, 4),
    (bilstm_crf, 4), (text_classification, 8), (double_backward_custom, 0),
    (fused_conv_bn, 4), (saved_tensor_hooks, 0), (jacobians_hessians, 4),
    (datasets_and_loaders, 0), (swa, 8), (save_and_load, 0), (contrastive, 8),
    (char_generation, 4), (unet_segmentation, 32), (vit_tiny, 48), (distributions_tour, 4),
    (schedulers_tour, 0), (sequence_models, 8), (attention_models, 8), (speech_ctc, 16),
    (grad_accumulation, 32), (dtype_programs, 4), (autograd_extras, 4),
    (random_draws, 1),
]


def run(program, lib):
    """The program's log and warnings on ``lib``, or the exception it raised."""
    log = Log()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            program(lib, log)
            error = None
        except Exception as e:  # noqa: BLE001 - compared with torch's
            error = e
    return log.rows, [f"{w.category.__name__}: {w.message}" for w in caught], error


def ulps(a, b):
    """The largest difference of a and b in float32 ulps of the row's scale (its largest
    magnitude): accumulation order moves a sum by a few of those."""
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-30)
    return float(np.max(np.abs(a - b), initial=0.0)) / (scale * 2.0 ** -23)


def torchs_own(message):
    """A warning torch's internals raise about themselves (torch.func's jacfwd scripts a
    helper; its oneDNN LSTM kernel declines projections), not about the program."""
    return "torch.jit.script" in message or "oneDNN" in message


def compare(program, tol_ulps):
    mine, ref = run(program, tg), run(program, real_torch)
    assert (type(mine[2]).__name__, str(mine[2])) == (type(ref[2]).__name__, str(ref[2])), \
        (mine[2], ref[2])
    assert mine[1] == [w for w in ref[1] if not torchs_own(w)]
    assert [r[0] for r in mine[0]] == [r[0] for r in ref[0]]
    for (label, a), (_, b) in zip(mine[0], ref[0]):
        assert a.shape == b.shape, label
        assert ulps(a, b) <= tol_ulps, (label, a, b, ulps(a, b))


@pytest.mark.parametrize("program,tol_ulps", PROGRAMS, ids=lambda p: getattr(p, "__name__", ""))
def test_tutorial_program_prints_torchs_numbers(program, tol_ulps):
    compare(program, tol_ulps)


if __name__ == "__main__":
    import sys
    for program, tol in PROGRAMS:
        if len(sys.argv) > 1 and program.__name__ not in sys.argv[1:]:
            continue
        mine, ref = run(program, tg), run(program, real_torch)
        print(f"== {program.__name__}: errors {mine[2]!r} / {ref[2]!r}")
        if mine[1] != [w for w in ref[1] if not torchs_own(w)]:
            print("   warnings differ:", mine[1], ref[1])
        worst = 0.0
        for (la, a), (lb, b) in zip(mine[0], ref[0]):
            if la != lb or a.shape != b.shape:
                print("   MISMATCH label/shape", la, lb, a.shape, b.shape)
                continue
            worst = max(worst, ulps(a, b))
            if ulps(a, b) > tol:
                print(f"   {la}: {ulps(a, b):.1f} ulps of scale (tolerance {tol})")
        print(f"   worst {worst:.1f}")
        if len(mine[0]) != len(ref[0]):
            print("   rows", len(mine[0]), len(ref[0]))


# ------------------------------------------------------------------ what the probe fixed
def test_stack_module_state_as_torchs():
    """torch.func.stack_module_state (the model-ensembling tutorial): each parameter and
    buffer stacked by name; stacked parameters are new leaves an optimizer can train."""
    def stacked(lib):
        lib.manual_seed(0)
        models = [lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)) for _ in range(3)]
        params, buffers = lib.func.stack_module_state(models)
        x = lib.randn(5, 3)

        def f(p, b, x):
            return lib.func.functional_call(models[0], (p, b), (x,))
        out = lib.func.vmap(f, in_dims=(0, 0, None))(params, buffers, x)
        (out * lib.arange(60.0).reshape(3, 5, 4).cos()).sum().backward()
        return params, buffers, out
    (p1, b1, o1), (p2, b2, o2) = stacked(tg), stacked(real_torch)
    assert list(p1) == list(p2) and list(b1) == list(b2)
    for k in p2:
        np.testing.assert_array_equal(p1[k].detach().numpy(), p2[k].detach().numpy())
        assert p1[k].is_leaf and p1[k].requires_grad and p1[k].grad_fn is None
        np.testing.assert_allclose(p1[k].grad.numpy(), p2[k].grad.numpy(), rtol=1e-5,
                                   atol=1e-5)    # (the bias before batch norm: ~0, noise)
    for k in b2:         # (the running statistics, updated in the vmapped training forward)
        np.testing.assert_allclose(b1[k].numpy(), b2[k].numpy(), rtol=1e-6)
        assert not b1[k].requires_grad
    np.testing.assert_allclose(o1.detach().numpy(), o2.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["empty", "modes", "classes", "requires_grad"])
def test_stack_module_state_refuses_as_torch(case):
    def refuse(lib):
        a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        models = {"empty": [], "modes": [a, b.eval()], "classes": [a, lib.nn.Bilinear(2, 2, 2)],
                  "requires_grad": [a, b.requires_grad_(False)]}[case]
        if case == "requires_grad":
            b.bias.requires_grad_(True)
        with pytest.raises(RuntimeError) as info:
            lib.func.stack_module_state(models)
        return str(info.value)
    assert refuse(tg) == refuse(real_torch)


SAVED_OUTPUT_OPS = ["exp", "sigmoid", "tanh", "sqrt", "relu", "rsqrt", "reciprocal",
                    "softmax", "log_softmax", "expm1"]


@pytest.mark.parametrize("op", SAVED_OUTPUT_OPS)
def test_saved_tensors_hooks_see_a_saved_output(op):
    """An op that keeps its result for backward passes it through saved_tensors_hooks, as
    torch: pack gets the output itself, and backward computes with what unpack gives."""
    def hooked(lib):
        x = lib.tensor([0.5, 1.25, 2.0], requires_grad=True)
        packed = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t,
                                                    lambda t: t * 2):
            y = getattr(x, op)(0) if "softmax" in op else getattr(x, op)()
        (y * lib.tensor([1.0, -2.0, 0.5])).sum().backward()
        return [t is y for t in packed], x.grad.numpy()
    (ids1, g1), (ids2, g2) = hooked(tg), hooked(real_torch)
    assert ids1 == ids2
    np.testing.assert_allclose(g1, g2, rtol=1e-6)


SAVED_EXPRS = ["x * y", "x / y", "x ** 2", "x ** 2.5", "x ** y", "x.exp()", "x.log()",
               "x.sin()", "x.cos()", "x.tanh()", "x.sigmoid()", "x.sqrt()", "x.relu()",
               "x.abs()", "x.mm(m)", "x @ m", "x[0] @ m[0]", "x @ m[0]", "x.softmax(0)",
               "x.log_softmax(1)", "x.max()", "x.min()", "x.log1p()", "x.expm1()",
               "L.maximum(x, y)", "L.minimum(x, y)", "x.square()", "x.atan()", "x.asin()",
               "x.erf()", "L.nn.functional.gelu(x)", "L.nn.functional.gelu(x, approximate='tanh')",
               "L.nn.functional.silu(x)", "x.log2()", "x.sinh()", "x.acos()", "x.lgamma()",
               "x.unsqueeze(0).bmm(m.unsqueeze(0))", "x.sum()", "x.t()"]
SAVED_NAMES = ["_saved_self", "_saved_other", "_saved_result", "_saved_mat2", "_saved_tensor",
               "_saved_vec", "_saved_exponent", "_saved_dim", "_saved_approximate"]


@pytest.mark.parametrize("expr", SAVED_EXPRS)
def test_grad_fn_saved_attributes_as_torchs(expr):
    """``y.grad_fn._saved_self`` and the like (torch's autograd tutorials read them): the same
    names as torch's node has, the same values, the very input where torch gives it."""
    def saved(L):
        x = L.tensor([[0.3, 0.6], [0.2, 0.9]], requires_grad=True)
        y = L.tensor([[0.5, 0.1], [0.7, 0.4]], requires_grad=True)
        m = L.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
        out = eval(expr, {"L": L, "x": x, "y": y, "m": m})
        found = {}
        for name in SAVED_NAMES:
            try:
                v = getattr(out.grad_fn, name)
            except AttributeError:
                continue
            if hasattr(v, "detach"):
                found[name] = (v.detach().numpy().tolist(), [v is t for t in (x, y, m, out)])
            else:
                found[name] = v
        return found
    mine, ref = saved(tg), saved(real_torch)
    assert list(mine) == list(ref)
    for name, value in ref.items():
        if isinstance(value, tuple):     # (values within an ulp: torch's MKL sqrt and exp)
            np.testing.assert_allclose(mine[name][0], value[0], rtol=2e-7)
            assert mine[name][1] == value[1], name
        else:
            assert mine[name] == value, name


def test_saved_attributes_freed_hooked_and_missing_as_torchs():
    def outcomes(L):
        x = L.tensor([0.5, 1.5], requires_grad=True)
        y = x.sin()
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 10):
            z = x.cos()
        hooked = z.grad_fn._saved_self.tolist()
        y.sum().backward()
        errors = []
        for node, name in [(y.grad_fn, "_saved_self"), (z.grad_fn, "_saved_other")]:
            try:
                getattr(node, name)
            except (RuntimeError, AttributeError) as e:
                errors.append((type(e).__name__, str(e).split("'")[-2:] if
                               isinstance(e, AttributeError) else str(e)[:60]))
        return hooked, errors
    assert outcomes(tg) == outcomes(real_torch)


# ---------------------------------------------------- one program as a script, `import torch`
SCRIPT = '''
import io
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import stack_module_state, functional_call, vmap

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                      nn.Linear(8, 3), nn.LogSoftmax(dim=1))
print(model)
x = torch.randn(2, 1, 4, 4)
opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.5, 0.999))
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
for step in range(3):
    out = model(x)
    loss = F.nll_loss(out, torch.tensor([0, 2]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(step, loss, sched.get_last_lr())
x.requires_grad_()
y = x.exp()
print(y.grad_fn, y.grad_fn._saved_result.equal(y), x.pow(2).grad_fn._saved_exponent)
params, buffers = stack_module_state([nn.Linear(2, 1) for _ in range(3)])
print({k: v.shape for k, v in params.items()}, params["weight"].is_leaf)
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
print(list(torch.load(buf)))
'''


def test_script_through_the_torch_runner_prints_torchs_text(tmp_path):
    import contextlib
    import re
    import runpy
    from tinygrad_sgd.as_torch import run_script
    path = tmp_path / "tutorial.py"
    path.write_text(SCRIPT)
    printed = []
    for run_it in (lambda: run_script(str(path)), lambda: runpy.run_path(str(path))):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run_it()
        printed.append(re.sub(r" object at 0x[0-9a-f]+", "", out.getvalue()))
    assert printed[0] == printed[1]


# -------------------------------------------------- float16 layers: sums rounded once, as torch
def _half_cases():
    F = "L.nn.functional"
    return [
        (f"{F}.linear(a, b, c)", [(6, 16), (5, 16), (5,)]),
        (f"{F}.linear(a, b, c)", [(2, 3, 16), (5, 16), (5,)]),
        (f"{F}.conv2d(a, b, c)", [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
        (f"{F}.conv2d(a, b, c, stride=2, padding=1, groups=2)", [(2, 4, 7, 7), (6, 2, 3, 3),
                                                                  (6,)]),
        (f"{F}.conv1d(a, b, c)", [(2, 3, 10), (4, 3, 3), (4,)]),
        (f"{F}.conv3d(a, b, c)", [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2), (3,)]),
        (f"{F}.conv3d(a, b)", [(1, 2, 5, 4, 4), (3, 2, 3, 2, 2)]),
        ("L.addmm(c, a, b)", [(6, 16), (16, 5), (6, 5)]),
        ("L.addmm(c, a, b, beta=0.5, alpha=2)", [(6, 16), (16, 5), (6, 5)]),
        ("L.baddbmm(c, a, b)", [(2, 6, 16), (2, 16, 5), (2, 6, 5)]),
        ("L.addmv(c, a, b)", [(6, 16), (16,), (6,)]),
        (f"{F}.group_norm(a, 2, b, c)", [(2, 4, 6, 6), (4,), (4,)]),
        (f"{F}.group_norm(a, 2)", [(2, 4, 6, 6)]),
        (f"{F}.avg_pool2d(a, 2)", [(2, 4, 6, 6)]),
        (f"{F}.avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False)", [(2, 4, 7, 7)]),
        (f"{F}.adaptive_avg_pool2d(a, 1)", [(2, 4, 6, 6)]),
    ]


@pytest.mark.parametrize("expr,shapes", _half_cases(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_float16_layers_round_once_as_torch(expr, shapes):
    """torch's CPU kernels for float16 linear layers, convolutions, addmm & co., group norm and
    average pooling add the bias (the β·input, the divisor) to the float32 sums and round once;
    rounding the product to float16 first, then the sum, made about one element in three one
    float16 ulp off (a half-precision model's outputs, ``model.half()``)."""
    rng = np.random.default_rng(len(expr) * 7 + len(shapes))
    arrays = [rng.standard_normal(s).astype(np.float16) for s in shapes]

    def run(L):
        ts = [L.tensor(a, requires_grad=True) for a in arrays]
        out = eval(expr, {"L": L, **dict(zip("abc", ts))})
        out.float().mul(L.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                                 dtype=L.float32)).sum().backward()
        return out.detach().float().numpy(), out.dtype == L.float16, \
            [t.grad.float().numpy() for t in ts]
    (mine, half1, g1), (ref, half2, g2) = run(tg), run(real_torch)
    assert half1 and half2
    np.testing.assert_array_equal(mine, ref)
    for a, b in zip(g1, g2):     # (gradients: torch's conv3d backward sums in float16)
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=8e-3 if "conv3d" in expr else 2e-3)


def test_custom_function_node_has_no_saved_result_as_torch():
    def attrs(L):
        class Exp(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                r = x.exp()
                ctx.save_for_backward(r)
                return r

            @staticmethod
            def backward(ctx, g):
                r, = ctx.saved_tensors
                return g * r
        y = Exp.apply(L.ones(2, requires_grad=True))
        return [hasattr(y.grad_fn, n) for n in ("_saved_result", "_saved_self")]
    assert attrs(tg) == attrs(real_torch)
