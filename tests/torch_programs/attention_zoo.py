"""A tour of torch's attention building blocks, the calls people make when they write attention
by hand or wire up nn.MultiheadAttention / nn.TransformerDecoderLayer: F.scaled_dot_product_attention
with bool and float masks, is_causal, scale and (seeded) dropout; MultiheadAttention with
kdim/vdim, add_bias_kv, add_zero_attn, bool and float key_padding_mask, 2-D and 3-D attn_mask,
per-head and averaged weights; a TransformerDecoderLayer with tgt and memory masks. Each case
prints the output's sum, a few values, the attention weights and the gradients' sums.

--seed picks the inputs; --dropout the dropout probability of the dropout cases.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def show(name, t):
    flat = t.detach().flatten()
    print(f"{name}: shape {tuple(t.shape)} sum {t.sum().item():.5f} "
          f"first {[round(v, 4) for v in flat[:4].tolist()]}")


def grads(name, *tensors):
    print(f"{name} grads: " + " ".join(f"{g.grad.sum().item():.5f}/{g.grad.abs().sum().item():.5f}"
                                         for g in tensors))


def reference_attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """The math F.scaled_dot_product_attention documents."""
    L, S = q.size(-2), k.size(-2)
    scale_factor = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        temp_mask = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
        attn_bias.masked_fill_(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_mask + attn_bias
    attn_weight = q @ k.transpose(-2, -1) * scale_factor
    attn_weight += attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    return attn_weight @ v


def sdpa_cases(args):
    print("== F.scaled_dot_product_attention")
    B, H, L, S, E = 2, 3, 5, 6, 8
    q = torch.randn(B, H, L, E, requires_grad=True)
    k = torch.randn(B, H, S, E, requires_grad=True)
    v = torch.randn(B, H, S, E, requires_grad=True)
    bool_mask = torch.rand(L, S) > 0.3
    bool_mask[:, 0] = True                                  # every query sees a key
    float_mask = torch.randn(B, 1, L, S)
    cases = [
        ("plain", {}),
        ("bool mask", {"attn_mask": bool_mask}),
        ("float mask", {"attn_mask": float_mask}),
        ("scale=0.5", {"scale": 0.5}),
    ]
    for name, kw in cases:
        for t in (q, k, v):
            t.grad = None
        out = F.scaled_dot_product_attention(q, k, v, **kw)
        ref = reference_attention(q, k, v, **kw)
        show(name, out)
        print(f"  matches the documented math: {torch.allclose(out, ref, atol=1e-5)}")
        (out * torch.arange(E)).sum().backward()
        grads(name, q, k, v)
    qc = torch.randn(B, H, L, E, requires_grad=True)
    out = F.scaled_dot_product_attention(qc, qc, qc, is_causal=True)
    show("is_causal", out)
    print(f"  first row is v's first row: {torch.allclose(out[..., 0, :], qc[..., 0, :])}")
    out.pow(2).sum().backward()
    grads("is_causal", qc)
    torch.manual_seed(args.seed + 1)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=args.dropout)
    torch.manual_seed(args.seed + 1)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=args.dropout)
    show("dropout", a)
    print(f"  same seed, same result: {torch.equal(a, b)}")
    x = torch.randn(4, 7, 16)                                # (N, L, E) without heads
    show("3-d inputs", F.scaled_dot_product_attention(x, x, x))
    show("is_causal, L < S", F.scaled_dot_product_attention(q, k, v, is_causal=True))
    kg = torch.randn(B, 1, S, E, requires_grad=True)         # grouped-query: 3 heads, 1 kv head
    vg = torch.randn(B, 1, S, E, requires_grad=True)
    out = F.scaled_dot_product_attention(q, kg, vg, enable_gqa=True)
    show("enable_gqa", out)
    out.sum().backward()
    grads("enable_gqa", kg, vg)
    pad = torch.ones(B, 1, 1, S, dtype=torch.bool)
    pad[1, ..., -3:] = False
    show("bool padding mask (B,1,1,S)", F.scaled_dot_product_attention(q, k, v, attn_mask=pad))
    x16 = torch.randn(2, 4, 8, dtype=torch.float64)
    print("float64:", F.scaled_dot_product_attention(x16, x16, x16).dtype)


def mha_cases(args):
    print("== nn.MultiheadAttention")
    E, H, L, S, N = 8, 2, 4, 5, 3
    configs = [
        ("default", {}, False),
        ("kdim/vdim", {"kdim": 6, "vdim": 10}, False),
        ("bias_kv+zero_attn", {"add_bias_kv": True, "add_zero_attn": True}, False),
        ("batch_first", {"batch_first": True}, True),
        ("no bias", {"bias": False}, False),
    ]
    for name, kw, bf in configs:
        mha = nn.MultiheadAttention(E, H, **kw)
        kd, vd = kw.get("kdim", E), kw.get("vdim", E)
        shape = (lambda n, s, d: (n, s, d)) if bf else (lambda n, s, d: (s, n, d))
        query = torch.randn(*shape(N, L, E), requires_grad=True)
        key = torch.randn(*shape(N, S, kd), requires_grad=True)
        value = torch.randn(*shape(N, S, vd), requires_grad=True)
        out, w = mha(query, key, value)
        show(name + " out", out)
        show(name + " weights", w)
        print(f"  weight rows sum to 1: {torch.allclose(w.sum(-1), torch.ones(()))}")
        out.sum().backward()
        grads(name, query, key, value)
        print("  parameter grads: " + ", ".join(f"{n}={p.grad.abs().sum().item():.4f}"
                                                  for n, p in mha.named_parameters()))

    mha = nn.MultiheadAttention(E, H)
    query = torch.randn(L, N, E)
    kv = torch.randn(S, N, E)
    pad = torch.zeros(N, S, dtype=torch.bool)
    pad[0, -2:] = True
    pad[2, -1] = True
    float_pad = torch.zeros(N, S).masked_fill(pad, float("-inf"))
    out_b, w_b = mha(query, kv, kv, key_padding_mask=pad)
    out_f, w_f = mha(query, kv, kv, key_padding_mask=float_pad)
    show("key_padding_mask bool", out_b)
    print(f"  float mask gives the same: {torch.allclose(out_b, out_f, atol=1e-6)}")
    print(f"  padded keys get weight 0: {w_b[0, :, -2:].abs().max().item()}")
    mask2 = torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=2)
    mask3 = torch.randn(N * H, L, S)
    out2, w2 = mha(query, kv, kv, attn_mask=mask2, average_attn_weights=False)
    show("attn_mask 2-d", out2)
    show("per-head weights", w2)
    out3, w3 = mha(query, kv, kv, attn_mask=mask3, key_padding_mask=pad)
    show("attn_mask 3-d + padding", out3)
    show("averaged weights", w3)
    out4, w4 = mha(query, kv, kv, need_weights=False)
    print(f"need_weights=False: weights {w4}, out sum {out4.sum().item():.5f}")
    mha.train()
    drop = nn.MultiheadAttention(E, H, dropout=args.dropout)
    torch.manual_seed(args.seed + 2)
    out5, w5 = drop(query, kv, kv)
    show("dropout out", out5)
    show("dropout weights", w5)
    print(f"  zeroed weights: {(w5 == 0).sum().item()}")
    torch.manual_seed(args.seed + 2)
    out5, w5 = drop(query, kv, kv, average_attn_weights=False)
    print(f"  per head, zeroed weights: {(w5 == 0).sum().item()} of {w5.numel()}, "
          f"kept ones scaled: {w5.max().item():.4f}")
    mha.eval()
    with torch.no_grad():
        out6, _ = mha(query, query, query, is_causal=True,
                      attn_mask=nn.Transformer.generate_square_subsequent_mask(L))
    show("is_causal in eval", out6)


def decoder_cases(args):
    print("== nn.TransformerDecoderLayer")
    d_model, nhead, T, S, N = 16, 4, 5, 7, 2
    layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=32, dropout=args.dropout)
    tgt = torch.randn(T, N, d_model, requires_grad=True)
    memory = torch.randn(S, N, d_model, requires_grad=True)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T)
    memory_mask = torch.zeros(T, S).masked_fill(torch.rand(T, S) > 0.7, float("-inf"))
    memory_mask[:, 0] = 0.0
    memory_key_padding_mask = torch.tensor([[False] * S, [False] * (S - 2) + [True] * 2])
    tgt_key_padding_mask = torch.tensor([[False] * T, [False] * (T - 1) + [True]])
    layer.eval()
    out = layer(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask)
    show("eval out", out[:, 0])
    layer.train()
    torch.manual_seed(args.seed + 3)
    out = layer(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=True)
    show("train out", out)
    (out * torch.linspace(-1, 1, d_model)).sum().backward()
    grads("decoder", tgt, memory)
    print(f"  masked memory rows get no gradient: "
          f"{memory.grad[-2:, 1].abs().max().item():.6f}")
    print("  norm3.weight grad:", [round(v, 4) for v in layer.norm3.weight.grad[:4].tolist()])
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, nhead, 32, 0.0,
                                                           batch_first=True, norm_first=True),
                                num_layers=2, norm=nn.LayerNorm(d_model))
    out = dec(tgt.detach().transpose(0, 1), memory.detach().transpose(0, 1),
              tgt_mask=tgt_mask, tgt_is_causal=True)
    show("TransformerDecoder batch_first norm_first", out)


def main():
    parser = argparse.ArgumentParser(description="attention zoo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dropout", type=float, default=0.1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    sdpa_cases(args)
    mha_cases(args)
    decoder_cases(args)


if __name__ == "__main__":
    main()
