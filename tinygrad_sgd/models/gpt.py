"""A GPT-2-shaped language model, as in the well-known minimal implementations (nanoGPT's
``model.py``, minGPT): the same modules under the same names, so its ``state_dict()`` keys —
``transformer.wte.weight``, ``transformer.h.0.attn.c_attn.weight``, ..., ``lm_head.weight`` —
are theirs and weights move between the two both ways.

    idx (B, T) ──wte──┐
    positions ──wpe───┴─ + ─ dropout ─ [Block] × n_layer ─ ln_f ─ lm_head ─ logits (B, T, V)
    Block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))        (pre-norm, residual)
    attn:   c_attn → q, k, v → causal scaled_dot_product_attention per head → c_proj
    mlp:    c_fc (C → 4C) → GELU → c_proj (4C → C)

The language-model head shares its weight with the token embedding (weight tying): one
Parameter, listed once by ``parameters()``, saved under both keys by ``state_dict()``.
"""
import math
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["GPTConfig", "GPT"]


@dataclass
class GPTConfig:
    """Sizes of a GPT (the defaults are GPT-2 small's, vocabulary padded to 50304 as nanoGPT).
    ``bias=False`` leaves the biases out of the Linear and LayerNorm layers."""
    vocab_size: int = 50304
    block_size: int = 1024
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions ≤ t only."""

    def __init__(self, config):
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"GPTConfig: n_embd ({config.n_embd}) must be a multiple of "
                             f"n_head ({config.n_head})")
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)      # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training
                                           else 0.0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)        # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """``GPT(GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128))``.

    Initialised as GPT-2: every Linear and Embedding weight ~ N(0, 0.02²), biases 0, and the
    residual projections (``c_proj.weight``) ~ N(0, (0.02/√(2·n_layer))²)."""

    def __init__(self, config):
        super().__init__()
        if config.vocab_size is None or config.block_size is None:
            raise ValueError("GPTConfig: vocab_size and block_size must be given")
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight    # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def get_num_params(self, non_embedding=True):
        """The number of parameters (the position embeddings left out by default; the token
        embedding counts, as it is also the head)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def forward(self, idx, targets=None):
        """``idx``: token ids (B, T), T ≤ block_size. With ``targets`` (B, T): logits
        (B, T, vocab) and the mean cross entropy (targets of −1 are ignored). Without: the
        logits of the last position only, (B, 1, vocab), and None (as nanoGPT, for
        generation)."""
        idx = idx if isinstance(idx, Tensor) else Tensor._of(np.asarray(idx))
        b, t = idx.shape
        if t > self.config.block_size:
            raise ValueError(f"Cannot forward sequence of length {t}, block size is only "
                             f"{self.config.block_size}")
        pos = np.arange(t, dtype=np.int64)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   targets.reshape(-1), ignore_index=-1)
            return logits, loss
        return self.lm_head(x[:, [-1], :]), None

    def configure_optimizers(self, weight_decay, learning_rate, betas=(0.9, 0.95)):
        """AdamW with weight decay on the matrices (2-D parameters) only, as nanoGPT."""
        from ..optim import AdamW
        params = list(self.parameters())
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        return AdamW([{"params": decay, "weight_decay": weight_decay},
                      {"params": no_decay, "weight_decay": 0.0}], lr=learning_rate,
                     betas=betas)

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T), each drawn from the
        softmax of the last logits ÷ ``temperature``, restricted to the ``top_k`` most likely
        if given. The draws use torch's multinomial algorithm on ``generator`` (a
        :class:`tinygrad_sgd.random.Generator`; by default the library's torch-compatible
        default generator), so with equal logits and equally seeded generators the tokens are
        torch's."""
        idx = idx if isinstance(idx, Tensor) else Tensor._of(np.asarray(idx))
        with no_grad():
            for _ in range(max_new_tokens):
                bs = self.config.block_size
                idx_cond = idx if idx.shape[1] <= bs else idx[:, -bs:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    k = min(top_k, logits.shape[-1])
                    kth = np.sort(logits.array, axis=-1)[:, -k][:, None]
                    logits = Tensor._of(np.where(logits.array < kth, -np.inf, logits.array)
                                    .astype(logits.dtype))
                probs = F.softmax(logits, dim=-1)
                idx = Tensor._of(np.concatenate([idx.array, _sample(probs, generator)], axis=1))
        return idx


def _sample(probs, generator):
    """One draw per row of ``probs`` (B, V) → (B, 1) int64."""
    import tinygrad_sgd
    if hasattr(tinygrad_sgd, "multinomial"):              # the library's own, once it has one
        out = tinygrad_sgd.multinomial(probs, 1, generator=generator)
        return out.array if isinstance(out, Tensor) else np.asarray(out)
    from .. import random
    return random.multinomial(probs.array, 1, generator=generator)
