"""``tinygrad_sgd.models.GPT`` against a torch twin written here in the shape of the minimal
GPT-2 implementations (nanoGPT's model.py): the same state_dict keys both ways, and 20 AdamW
steps on the same batches from the same weights giving the same logits, the same loss at every
step and the same parameters at the end (float64 tight, float32 looser); generation with the
same generator draws the same tokens."""
import math

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import random as tgr
from tinygrad_sgd.models import GPT, GPTConfig
from tinygrad_sgd.optim import AdamW

torch.set_num_threads(1)   # tiny models: torch's thread pool only waits on a busy machine


# ---------------------------------------------------------------------------- the torch twin
class TorchAttention(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = tnn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
        self.c_proj = tnn.Linear(c.n_embd, c.n_embd, bias=c.bias)
        self.n_head, self.n_embd = c.n_head, c.n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class TorchMLP(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = tnn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
        self.gelu = tnn.GELU()
        self.c_proj = tnn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class TorchBlock(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = tnn.LayerNorm(c.n_embd, bias=c.bias)
        self.attn = TorchAttention(c)
        self.ln_2 = tnn.LayerNorm(c.n_embd, bias=c.bias)
        self.mlp = TorchMLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TorchGPT(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.transformer = tnn.ModuleDict(dict(
            wte=tnn.Embedding(c.vocab_size, c.n_embd),
            wpe=tnn.Embedding(c.block_size, c.n_embd),
            drop=tnn.Dropout(c.dropout),
            h=tnn.ModuleList([TorchBlock(c) for _ in range(c.n_layer)]),
            ln_f=tnn.LayerNorm(c.n_embd, bias=c.bias)))
        self.lm_head = tnn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def init_like_gpt2(self):
        """nanoGPT's initialisation, in its order."""
        def init(m):
            if isinstance(m, (tnn.Linear, tnn.Embedding)):
                tnn.init.normal_(m.weight, mean=0.0, std=0.02)
                if isinstance(m, tnn.Linear) and m.bias is not None:
                    tnn.init.zeros_(m.bias)
        self.apply(init)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                tnn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * self.config.n_layer))
        return self

    def forward(self, idx, targets=None):
        t = idx.size(1)
        x = self.transformer.drop(self.transformer.wte(idx)
                                  + self.transformer.wpe(torch.arange(t)))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, [-1], :]), None
        logits = self.lm_head(x)
        return logits, TF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                        ignore_index=-1)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        for _ in range(max_new_tokens):
            bs = self.config.block_size
            logits, _ = self(idx if idx.size(1) <= bs else idx[:, -bs:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = TF.softmax(logits, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, 1, generator=generator)), dim=1)
        return idx


CONFIG = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)


def twins(config=CONFIG, dtype=torch.float64):
    torch.manual_seed(0)
    theirs = TorchGPT(config).to(dtype)
    with torch.no_grad():     # GPT-2's initialisation, and biases/LayerNorms off their defaults
        for name, p in theirs.named_parameters():
            p.normal_(0.0, 0.02 if p.ndim == 2 else 0.1)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight"):
                p.add_(1.0)
    ours = GPT(config).to(np.dtype(str(dtype).split(".")[1]))
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def batches(n, config=CONFIG, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.integers(0, config.vocab_size, (batch, config.block_size))
        y = (x + 1) % config.vocab_size        # learnable: the next token is x + 1
        y[0, :2] = -1                      # ignored positions, as nanoGPT allows
        out.append((x, y))
    return out


# ---------------------------------------------------------------------------- tests
def test_state_dict_keys_are_nanogpts_and_weights_move_both_ways():
    ours, theirs = twins()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    expected = {"transformer.wte.weight", "transformer.wpe.weight",
                "transformer.h.0.ln_1.weight", "transformer.h.0.attn.c_attn.weight",
                "transformer.h.0.attn.c_attn.bias", "transformer.h.0.attn.c_proj.weight",
                "transformer.h.0.ln_2.bias", "transformer.h.1.mlp.c_fc.weight",
                "transformer.h.1.mlp.c_proj.bias", "transformer.ln_f.weight", "lm_head.weight"}
    assert expected <= set(ours.state_dict())
    assert ours.lm_head.weight is ours.transformer.wte.weight        # tied
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert ours.get_num_params() == sum(p.numel() for p in theirs.parameters()) - 8 * 16
    back = TorchGPT(CONFIG).double()
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in ours.state_dict().items()})
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ours.state_dict()[k].numpy(), err_msg=k)


@pytest.mark.parametrize("dtype,rtol,atol", [(torch.float64, 1e-8, 1e-10),
                                             (torch.float32, 2e-3, 2e-4)])
def test_twenty_adamw_steps_match_torch(dtype, rtol, atol):
    ours, theirs = twins(dtype=dtype)
    opt = AdamW(ours.parameters(), lr=3e-3, weight_decay=0.1)
    topt = torch.optim.AdamW(theirs.parameters(), lr=3e-3, weight_decay=0.1)
    losses = []
    for step, (x, y) in enumerate(batches(20)):
        logits, loss = ours(tg.tensor(x), tg.tensor(y))
        tlogits, tloss = theirs(torch.tensor(x), torch.tensor(y))
        np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), rtol, atol,
                                   err_msg=f"logits at step {step}")
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol, atol,
                                   err_msg=f"loss at step {step}")
        assert logits.dtype == tlogits.detach().numpy().dtype
        losses.append(loss.item())
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    assert losses[-1] < losses[0] - 0.02          # it learned something
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].numpy(), p.detach().numpy(), rtol,
                                   atol, err_msg=name)


def test_same_seed_same_initial_weights_as_torch():
    tg.manual_seed(1234)
    ours = GPT(CONFIG)
    torch.manual_seed(1234)
    theirs = TorchGPT(CONFIG).init_like_gpt2()
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), key)


def test_forward_without_targets_and_errors():
    ours, theirs = twins()
    x = batches(1)[0][0]
    logits, loss = ours(tg.tensor(x))
    tlogits, _ = theirs(torch.tensor(x))
    assert loss is None and logits.shape == (3, 1, CONFIG.vocab_size)
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), 1e-10, 1e-12)
    with pytest.raises(ValueError, match="Cannot forward sequence of length 9, block size is "
                                         "only 8"):
        ours(tg.tensor(np.zeros((1, 9), np.int64)))
    with pytest.raises(ValueError, match="must be a multiple of n_head"):
        GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=3, n_embd=16))


@pytest.mark.parametrize("top_k", [None, 3])
def test_generate_draws_torchs_tokens_with_the_same_generator(top_k):
    ours, theirs = twins()
    idx = np.array([[1, 2], [3, 4]])
    out = ours.generate(tg.tensor(idx), 10, temperature=0.8, top_k=top_k,
                        generator=tgr.Generator(123))
    ref = theirs.generate(torch.tensor(idx), 10, temperature=0.8, top_k=top_k,
                          generator=torch.Generator().manual_seed(123))
    assert out.shape == (2, 12) and out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_dropout_is_used_in_training_only():
    config = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.3)
    tgr.manual_seed(0)
    model = GPT(config).double()
    plain = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)).double()
    plain.load_state_dict(model.state_dict())
    x, y = (tg.tensor(a) for a in batches(1, config)[0])
    model.eval()
    np.testing.assert_array_equal(model(x, y)[0].numpy(), plain(x, y)[0].numpy())
    model.train()
    assert not np.allclose(model(x, y)[0].numpy(), plain(x, y)[0].numpy())


def test_bias_false_and_configure_optimizers():
    config = GPTConfig(vocab_size=7, block_size=4, n_layer=1, n_head=1, n_embd=8, bias=False)
    model = GPT(config)
    names = list(model.state_dict())
    assert not any(n.endswith(".bias") for n in names)
    opt = model.configure_optimizers(0.1, 1e-3)
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    assert all(p.ndim >= 2 for p in opt.param_groups[0]["params"])
    std = model.transformer.h[0].attn.c_proj.weight.numpy().std()
    assert abs(std - 0.02 / math.sqrt(2)) < 0.01
