"""A tour of the rest of torch.nn.functional, the way tutorials and notebooks poke at it: each
call printed (values, shapes, dtypes, a few gradients). One-hot and padding; unfold/fold
(im2col) and pixel (un)shuffle; normalize, cosine similarity, pairwise distance; embedding
with max_norm; grid_sample in every mode and padding, affine_grid in 3-D; interpolate;
gumbel-softmax; the smaller activations (glu, hardswish, ..., rrelu); the normalizations
(local response, group, instance, layer); CTC loss; multi-head attention's functional form;
and the modules nn.Unfold, nn.Fold, nn.PixelShuffle, nn.ChannelShuffle.

Options: --seed (default 0), --precision (printed digits, default 4).
"""
import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F


def section(title):
    print()
    print('=' * 8, title, '=' * 8)


def main():
    parser = argparse.ArgumentParser(description='torch.nn.functional tour')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--precision', type=int, default=4)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_printoptions(precision=args.precision)

    section('one_hot')
    labels = torch.tensor([0, 2, 1, 3])
    oh = F.one_hot(labels)
    print(oh, oh.dtype, oh.shape)
    print(F.one_hot(labels, num_classes=6))
    print(F.one_hot(torch.tensor([[1, 0], [2, 2]]), 3).float())

    section('pad')
    x = torch.arange(1., 13.).view(1, 2, 2, 3)
    print(F.pad(x, (1, 1)))
    print(F.pad(x, (1, 2, 0, 1), mode='constant', value=-1.5))
    print(F.pad(x, (2, 1, 1, 1), mode='reflect'))
    print(F.pad(x, (1, 2, 1, 0), mode='replicate'))
    print(F.pad(x, (1, 1, 1, 1), mode='circular'))
    print(F.pad(x, (-1, 0, 0, -1)))
    print(F.pad(x, (1, -1)))
    seq = torch.arange(5.).view(1, 1, 5)
    print(F.pad(seq, (2, 2), mode='reflect'), F.pad(seq, (3, 1), mode='replicate'))
    print(F.pad(seq, (2, 3), mode='circular'))
    xg = torch.randn(1, 1, 3, 3, requires_grad=True)
    F.pad(xg, (1, 1, 2, 0), mode='reflect').pow(2).sum().backward()
    print('reflect pad grad', xg.grad)
    xg.grad = None
    F.pad(xg, (2, 1, 1, 2), mode='circular').sum().backward()
    print('circular pad grad', xg.grad)
    xg.grad = None
    F.pad(xg, (2, 0, 1, 1), mode='replicate').sum().backward()
    print('replicate pad grad', xg.grad)

    section('unfold / fold')
    img = torch.randn(2, 3, 5, 6)
    cols = F.unfold(img, kernel_size=(2, 3), dilation=1, padding=1, stride=2)
    print(cols.shape, cols[0, :4, :5])
    back = F.fold(cols, output_size=(5, 6), kernel_size=(2, 3), padding=1, stride=2)
    print(back.shape, back[0, 0])
    ones = torch.ones(1, 1, 4, 4)
    divisor = F.fold(F.unfold(ones, 2, stride=1), (4, 4), 2, stride=1)
    print('overlap counts', divisor[0, 0])
    imgg = img.clone().requires_grad_()
    (F.unfold(imgg, 3, padding=1, dilation=2) ** 2).sum().backward()
    print('unfold grad', imgg.grad[0, 0])
    unf, fold = nn.Unfold(kernel_size=2, stride=2), nn.Fold(output_size=(4, 6), kernel_size=2, stride=2)
    patches = unf(torch.arange(24.).view(1, 1, 4, 6))
    print(unf, fold)
    print(patches, fold(patches))
    # convolution as unfold + matmul, as the docs show
    w = torch.randn(4, 3, 2, 3)
    out_unf = F.unfold(img, (2, 3)).transpose(1, 2).matmul(w.view(w.size(0), -1).t()).transpose(1, 2)
    out = out_unf.view(2, 4, 4, 4)
    print('conv via unfold matches conv2d:', (out - F.conv2d(img, w)).abs().max().item() < 1e-4)

    section('pixel_shuffle')
    ps_in = torch.arange(32.).view(1, 8, 2, 2)
    ps = F.pixel_shuffle(ps_in, 2)
    print(ps.shape, ps[0, 0])
    print(F.pixel_unshuffle(ps, 2).equal(ps_in))
    print(F.pixel_unshuffle(torch.arange(16.).view(1, 1, 4, 4), 2)[0, :, 0, 0])
    shuffler = nn.PixelShuffle(3)
    print(shuffler, shuffler(torch.randn(2, 18, 2, 3)).shape, nn.PixelUnshuffle(2))
    cs = nn.ChannelShuffle(2)
    print(cs, cs(torch.arange(8.).view(1, 4, 1, 2)).view(-1))
    print(F.channel_shuffle(torch.arange(6.).view(1, 6, 1, 1), 3).view(-1))

    section('normalize / cosine_similarity / pairwise_distance')
    a = torch.randn(4, 5)
    b = torch.randn(4, 5)
    print(F.normalize(a), F.normalize(a, p=1, dim=0))
    print(F.normalize(torch.zeros(2, 3)), F.normalize(a, p=float('inf')).abs().max(dim=1)[0])
    print(F.cosine_similarity(a, b), F.cosine_similarity(a, b, dim=0))
    print(F.cosine_similarity(a[:1], b), F.cosine_similarity(torch.zeros(1, 3), torch.ones(1, 3)))
    print(F.pairwise_distance(a, b), F.pairwise_distance(a, b, p=1, keepdim=True).shape)
    print(F.pairwise_distance(a, b, p=3, eps=1e-3), F.pairwise_distance(a, a))
    ag = a.clone().requires_grad_()
    bg = b.clone().requires_grad_()
    (F.cosine_similarity(ag, bg).sum() + F.pairwise_distance(ag, bg).sum()
     + F.normalize(ag, dim=0)[0].sum()).backward()
    print('grads', ag.grad, bg.grad)
    print(nn.CosineSimilarity(dim=1)(a, b).shape, nn.PairwiseDistance(p=2)(a, b).shape)

    section('embedding with max_norm')
    weight = torch.randn(6, 3) * 2
    idx = torch.tensor([[0, 2], [2, 5]])
    emb = F.embedding(idx, weight, max_norm=1.0)
    print(emb, weight.norm(dim=1))
    e = nn.Embedding(10, 4, max_norm=1.5, norm_type=2.0, padding_idx=0)
    out = e(torch.tensor([0, 3, 3, 7]))
    print(out.norm(dim=1), e.weight.norm(dim=1))
    out.sum().backward()
    print('embedding grad rows', e.weight.grad.sum(dim=1))

    section('grid_sample')
    inp = torch.arange(20.).view(1, 1, 4, 5)
    theta = torch.tensor([[[0.8, -0.3, 0.1], [0.25, 1.1, -0.2]]])
    for align_corners in (False, True):
        grid = F.affine_grid(theta, (1, 1, 3, 4), align_corners=align_corners)
        print('grid', align_corners, grid[0, 1])
        for mode in ('bilinear', 'nearest', 'bicubic'):
            for padding_mode in ('zeros', 'border', 'reflection'):
                out = F.grid_sample(inp, grid * 1.4, mode=mode, padding_mode=padding_mode,
                                    align_corners=align_corners)
                print(mode, padding_mode, out.view(-1))
    image = torch.randn(2, 3, 6, 7, requires_grad=True)
    thetas = torch.tensor([[[1.1, 0.2, -0.1], [-0.1, 0.9, 0.3]],
                           [[0.7, -0.4, 0.2], [0.5, 1.2, -0.3]]], requires_grad=True)
    grid = F.affine_grid(thetas, (2, 3, 5, 5), align_corners=False)
    F.grid_sample(image, grid, mode='bicubic', padding_mode='border',
                  align_corners=False).pow(2).mean().backward()
    print('bicubic grads', image.grad.abs().sum().item(), thetas.grad)

    section('affine_grid 3-D')
    theta3 = torch.tensor([[[1., 0.1, 0., 0.2], [0., 0.9, -0.1, 0.], [0.05, 0., 1.1, -0.1]]])
    grid3 = F.affine_grid(theta3, (1, 2, 2, 3, 4), align_corners=False)
    print(grid3.shape, grid3[0, 1, 2])
    vol = torch.arange(48.).view(1, 2, 2, 3, 4)
    print(F.grid_sample(vol, grid3, align_corners=False)[0, :, 1])
    print(F.grid_sample(vol, grid3, mode='nearest', padding_mode='border', align_corners=True)[0, 0])

    section('interpolate')
    small = torch.arange(1., 10.).view(1, 1, 3, 3)
    print(F.interpolate(small, size=(5, 4), mode='nearest-exact'))
    print(F.interpolate(small, scale_factor=1.5, mode='nearest'))
    print(F.interpolate(torch.arange(36.).view(1, 1, 6, 6), size=(4, 3), mode='area'))
    print(F.interpolate(torch.arange(6.).view(1, 1, 6), size=4, mode='area'))
    cube = torch.arange(8.).view(1, 1, 2, 2, 2)
    print(F.interpolate(cube, size=(3, 3, 2), mode='trilinear', align_corners=False)[0, 0])
    print(F.interpolate(cube, scale_factor=2, mode='trilinear', align_corners=True)[0, 0, 1])
    cg = torch.randn(1, 2, 3, 4, 2, requires_grad=True)
    F.interpolate(cg, size=(4, 5, 3), mode='trilinear').pow(2).sum().backward()
    print('trilinear grad', cg.grad[0, 0, 0])
    ag2 = torch.randn(1, 1, 5, 7, requires_grad=True)
    F.interpolate(ag2, size=(3, 4), mode='area').sum().backward()
    print('area grad', ag2.grad)

    section('gumbel_softmax')
    logits = torch.randn(3, 5, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    hard = F.gumbel_softmax(logits, tau=1.0, hard=True)
    print(soft, hard)
    (hard * torch.arange(5.)).sum().backward()
    print('straight-through grad', logits.grad)

    section('activations')
    z = torch.linspace(-4, 4, 9)
    print('glu', F.glu(torch.arange(8.).view(2, 4)), F.glu(torch.arange(8.).view(4, 2), dim=0))
    print('hardswish', F.hardswish(z))
    print('hardsigmoid', F.hardsigmoid(z))
    print('softsign', F.softsign(z))
    print('tanhshrink', F.tanhshrink(z))
    print('logsigmoid', F.logsigmoid(z))
    print('rrelu eval', F.rrelu(z))
    torch.manual_seed(args.seed + 1)
    print('rrelu train', F.rrelu(z, training=True))
    print('rrelu module', nn.RReLU(0.1, 0.3).train()(z))
    zg = torch.linspace(-3.5, 3.5, 8, requires_grad=True)
    y = (F.hardswish(zg) + F.hardsigmoid(zg) + F.softsign(zg) + F.tanhshrink(zg)
         + F.logsigmoid(zg) + F.glu(torch.cat([zg, zg.flip(0)])))
    y.sum().backward()
    print('activation grads', zg.grad)
    zr = torch.linspace(-2, 2, 6, requires_grad=True)
    torch.manual_seed(7)
    F.rrelu(zr, lower=0.2, upper=0.4, training=True).sum().backward()
    print('rrelu grad', zr.grad)
    print(nn.GLU(), nn.Hardswish(), nn.Softsign(), nn.Tanhshrink(), nn.LogSigmoid(), nn.RReLU())

    section('normalization')
    feat = torch.randn(2, 6, 3, 4)
    print('lrn', F.local_response_norm(feat, size=3)[0, :, 0, 0])
    print('lrn 3d', F.local_response_norm(torch.randn(2, 4, 5), size=2, alpha=1e-2, beta=0.5, k=2.)[0])
    print('group_norm', F.group_norm(feat, 3)[1, :, 1, 1])
    gw, gb = torch.randn(6), torch.randn(6)
    print('group_norm affine', F.group_norm(feat, 2, gw, gb, eps=1e-3)[0, :, 0, 0])
    print('instance_norm', F.instance_norm(feat)[0, 0, 0])
    rm, rv = torch.zeros(6), torch.ones(6)
    F.instance_norm(feat, running_mean=rm, running_var=rv, use_input_stats=True, momentum=0.2)
    print('instance_norm running stats', rm, rv)
    print('instance_norm eval stats', F.instance_norm(feat, running_mean=rm, running_var=rv,
                                                      use_input_stats=False)[0, 0, 0])
    print('layer_norm', F.layer_norm(feat, (3, 4))[0, 0, 0])
    lw, lb = torch.randn(4), torch.randn(4)
    print('layer_norm affine', F.layer_norm(feat, (4,), lw, lb)[0, 0, 0])
    fg = feat.clone().requires_grad_()
    gwg, gbg = gw.clone().requires_grad_(), gb.clone().requires_grad_()
    lwg = lw.clone().requires_grad_()
    (F.group_norm(fg, 3, gwg, gbg).pow(3).sum() + F.layer_norm(fg, (4,), lwg).pow(2)[..., 0].sum()
     + F.instance_norm(fg).sin().sum() + F.local_response_norm(fg, 2).sum()).backward()
    print('norm grads', fg.grad[0, 0], gwg.grad, gbg.grad, lwg.grad)
    print(nn.LocalResponseNorm(3), nn.GroupNorm(3, 6), nn.InstanceNorm2d(6, affine=True),
          nn.LayerNorm((3, 4), elementwise_affine=False))

    section('ctc_loss')
    T, N, C, S = 12, 3, 5, 4
    log_probs = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
    targets = torch.randint(1, C, (N, S), dtype=torch.long)
    input_lengths = torch.tensor([12, 10, 9])
    target_lengths = torch.tensor([4, 3, 2])
    for reduction in ('mean', 'sum', 'none'):
        print(reduction, F.ctc_loss(log_probs, targets, input_lengths, target_lengths,
                                    reduction=reduction))
    loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths)
    loss.backward()
    print('ctc grad', log_probs.grad[:3, 0])
    flat = torch.cat([targets[i, :target_lengths[i]] for i in range(N)])
    print('concatenated targets', F.ctc_loss(log_probs, flat, input_lengths, target_lengths).item())
    print(nn.CTCLoss(blank=0, zero_infinity=True)(log_probs, targets, (12, 10, 9), (4, 3, 2)).item())
    impossible = torch.tensor([[1, 1, 1, 1]])
    print('impossible', F.ctc_loss(log_probs[:3, :1], impossible, [3], [4], reduction='none'),
          F.ctc_loss(log_probs[:3, :1], impossible, [3], [4], zero_infinity=True).item())

    section('multi_head_attention_forward')
    E, H, L = 8, 2, 5
    mha = nn.MultiheadAttention(E, H)
    q = torch.randn(L, 2, E)
    out, attn = F.multi_head_attention_forward(
        q, q, q, E, H, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        mha.out_proj.weight, mha.out_proj.bias, training=False, need_weights=True)
    ref, ref_attn = mha(q, q, q)
    print(out.shape, attn.shape, (out - ref).abs().max().item() < 1e-6)
    print(attn[0, 0])
    mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1)
    out_m, attn_m = F.multi_head_attention_forward(
        q, q, q, E, H, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        mha.out_proj.weight, mha.out_proj.bias, training=False, attn_mask=mask,
        average_attn_weights=False)
    print(attn_m.shape, attn_m[1, 1], out_m[2, 0])


if __name__ == '__main__':
    main()
