#!/usr/bin/python3
"""Golden numbers for distillery's distillation loss terms.

Writes src/distill/losses/fixtures/<term>.json: seeded inputs, options, the loss value and
its gradients, computed with PyTorch in float64 from float32 inputs (so the TypeScript side,
which runs in float32, reads exactly the same inputs). The formulations are written plainly,
as the papers' official code writes them, so that the fixtures pin distillery to the papers
rather than to itself:

  ce    F.cross_entropy with label_smoothing
  kd    Hinton et al. 2015: KL(softmax(t/T) || softmax(s/T)) * T^2, batch mean
  dkd   Zhao et al. 2022 (megvii-research/mdistiller, dkd_loss): alpha*TCKD + beta*NCKD, both * T^2
  hint  Romero et al. 2015 (FitNets): MSE(conv1x1(s), t), adapter weights given
  at    Zagoruyko & Komodakis 2017 (szagoruyko/attention-transfer): beta/2 * (at(s) - at(t))^2 .mean()
  rkd   Park et al. 2019 (lenscloth/RKD): 25 * distance + 50 * angle, smooth L1

distillery stores images NHWC; PyTorch wants NCHW. Features are generated NHWC, and the leaf
tensors that get gradients are the NHWC ones (permuted inside the graph), so every gradient
comes back in distillery's layout.

Run: /usr/bin/python3 scripts/golden/distill_losses.py   (Debian's python3-torch; ~1 s)
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'distill', 'losses', 'fixtures')


def f32(shape, gen, scale=1.0, shift=0.0):
    """Seeded float32 normals: the exact inputs both sides use."""
    return (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale + shift).float()


def labels(n, classes, gen):
    return torch.randint(0, classes, (n,), generator=gen)


def teacher_logits(y, classes, gen, scale=3.0, confidence=2.5):
    """A teacher that mostly prefers the label: peaked, so kd with t and s swapped differs."""
    t = f32((y.shape[0], classes), gen, scale)
    return t + confidence * F.one_hot(y, classes).float()


def enc(t):
    """{shape, data} with 9 significant digits: enough to round-trip a float32 exactly."""
    t = t.detach()
    data = [int(v) for v in t.reshape(-1).tolist()] if not t.dtype.is_floating_point else [float('%.9g' % v) for v in t.double().reshape(-1).tolist()]
    return {'shape': list(t.shape), 'data': data}


def num(v):
    return float('%.12g' % float(v))


def leaf(t):
    return t.double().clone().requires_grad_(True)


def nchw(t):
    return t.permute(0, 3, 1, 2)


# ---- the reference formulations ----

def ce_ref(s, y, label_smoothing):
    return F.cross_entropy(s, y, label_smoothing=label_smoothing)


def kd_ref(s, t, T):
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean') * T * T


def dkd_ref(s, t, y, alpha, beta, T):
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1).bool()
    other = torch.ones_like(s).scatter_(1, y.unsqueeze(1), 0).bool()

    def cat_mask(p):
        return torch.cat([(p * gt).sum(1, keepdim=True), (p * other).sum(1, keepdim=True)], dim=1)

    ps = cat_mask(F.softmax(s / T, dim=1))
    pt = cat_mask(F.softmax(t / T, dim=1))
    tckd = F.kl_div(torch.log(ps), pt, reduction='sum') * T ** 2 / y.shape[0]
    pt2 = F.softmax(t / T - 1000.0 * gt, dim=1)
    log_ps2 = F.log_softmax(s / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_ps2, pt2, reduction='sum') * T ** 2 / y.shape[0]
    return alpha * tckd + beta * nckd


def hint_ref(s, t, kernel, bias):
    """s, t NHWC or [N, C]; kernel [Cs, Ct] as distillery stores it (a 1x1 conv's [Ct, Cs, 1, 1] transposed)."""
    if s.dim() == 4:
        w = kernel.t().reshape(kernel.shape[1], kernel.shape[0], 1, 1)
        return F.mse_loss(F.conv2d(nchw(s), w, bias), nchw(t))
    return F.mse_loss(F.linear(s, kernel.t(), bias), t)


def at_map(x, p):
    return F.normalize(x.abs().pow(p).mean(1).view(x.size(0), -1))


def at_ref(s, t, beta, p):
    return beta / 2 * (at_map(nchw(s), p) - at_map(nchw(t), p)).pow(2).mean()


def pdist(e, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps).sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res


def rkd_ref(s, t, distance, angle):
    stu = (nchw(s) if s.dim() == 4 else s).reshape(s.shape[0], -1)
    tea = (nchw(t) if t.dim() == 4 else t).reshape(t.shape[0], -1)
    with torch.no_grad():
        t_d = pdist(tea)
        t_d = t_d / t_d[t_d > 0].mean()
    d = pdist(stu)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    with torch.no_grad():
        td = F.normalize(tea.unsqueeze(0) - tea.unsqueeze(1), p=2, dim=2)
        t_angle = torch.bmm(td, td.transpose(1, 2)).view(-1)
    sd = F.normalize(stu.unsqueeze(0) - stu.unsqueeze(1), p=2, dim=2)
    s_angle = torch.bmm(sd, sd.transpose(1, 2)).view(-1)
    loss_a = F.smooth_l1_loss(s_angle, t_angle)
    return distance * loss_d + angle * loss_a


# ---- cases ----

def logits_case(name, options, fn, n, classes, seed):
    gen = torch.Generator().manual_seed(seed)
    y = labels(n, classes, gen)
    s = f32((n, classes), gen, 2.0)
    t = teacher_logits(y, classes, gen)
    sl = leaf(s)
    value = fn(sl, t.double(), y)
    (g,) = torch.autograd.grad(value, [sl])
    return {
        'name': name, 'options': options,
        'inputs': {'studentLogits': enc(s), 'teacherLogits': enc(t), 'labels': enc(y)},
        'value': num(value), 'grads': {'studentLogits': enc(g)},
    }


def hint_case(name, options, s_shape, t_shape, seed):
    gen = torch.Generator().manual_seed(seed)
    s = f32(s_shape, gen)
    t = f32(t_shape, gen, 0.5, 0.2)
    cs, ct = s_shape[-1], t_shape[-1]
    kernel = f32((cs, ct), gen, cs ** -0.5)
    bias = f32((ct,), gen, 0.1)
    sl, kl, bl = leaf(s), leaf(kernel), leaf(bias)
    value = hint_ref(sl, t.double(), kl, bl)
    gs, gk, gb = torch.autograd.grad(value, [sl, kl, bl])
    return {
        'name': name, 'options': options,
        'inputs': {'studentFeature': enc(s), 'teacherFeature': enc(t), 'adapterKernel': enc(kernel), 'adapterBias': enc(bias)},
        'value': num(value), 'grads': {'studentFeature': enc(gs), 'adapterKernel': enc(gk), 'adapterBias': enc(gb)},
    }


def feature_case(name, options, fn, s_shape, t_shape, seed, relu=False):
    gen = torch.Generator().manual_seed(seed)
    s = f32(s_shape, gen)
    t = f32(t_shape, gen, 1.5)
    if relu:  # post-activation features, as attention transfer usually sees them
        s, t = s.clamp(min=0), t.clamp(min=0)
    sl = leaf(s)
    value = fn(sl, t.double())
    (g,) = torch.autograd.grad(value, [sl])
    return {
        'name': name, 'options': options,
        'inputs': {'studentFeature': enc(s), 'teacherFeature': enc(t)},
        'value': num(value), 'grads': {'studentFeature': enc(g)},
    }


def build():
    fx = {}
    fx['ce'] = [
        logits_case('plain', {}, lambda s, t, y: ce_ref(s, y, 0.0), 6, 7, 101),
        logits_case('smoothing 0.1', {'labelSmoothing': 0.1}, lambda s, t, y: ce_ref(s, y, 0.1), 6, 7, 102),
    ]
    fx['kd'] = [
        logits_case('T=4', {'T': 4}, lambda s, t, y: kd_ref(s, t, 4.0), 6, 7, 201),
        logits_case('T=2.5, 10 classes', {'T': 2.5}, lambda s, t, y: kd_ref(s, t, 2.5), 8, 10, 202),
    ]
    fx['dkd'] = [
        logits_case('alpha=1 beta=8 T=4 (paper CIFAR defaults)', {'alpha': 1, 'beta': 8, 'T': 4},
                    lambda s, t, y: dkd_ref(s, t, y, 1.0, 8.0, 4.0), 6, 7, 301),
        logits_case('alpha=0.5 beta=2 T=2', {'alpha': 0.5, 'beta': 2, 'T': 2},
                    lambda s, t, y: dkd_ref(s, t, y, 0.5, 2.0, 2.0), 8, 10, 302),
    ]
    fx['hint'] = [
        hint_case('NHWC 1x1 conv adapter', {'student': 's_feat', 'teacher': 't_feat'}, (4, 5, 5, 6), (4, 5, 5, 10), 401),
        hint_case('2-D dense adapter', {'student': 's_vec', 'teacher': 't_vec'}, (6, 10), (6, 16), 402),
    ]
    fx['at'] = [
        feature_case('beta=1000 p=2', {'student': 's_feat', 'teacher': 't_feat'},
                     lambda s, t: at_ref(s, t, 1000.0, 2), (4, 6, 6, 8), (4, 6, 6, 12), 501, relu=True),
        feature_case('beta=50 p=2, signed features', {'student': 's_feat', 'teacher': 't_feat', 'beta': 50},
                     lambda s, t: at_ref(s, t, 50.0, 2), (3, 5, 5, 4), (3, 5, 5, 6), 502),
        # p != 2 takes the |f|^p path (tf.pow of tf.abs), not the square: its gradient differs
        feature_case('beta=1000 p=1, signed features', {'student': 's_feat', 'teacher': 't_feat', 'p': 1},
                     lambda s, t: at_ref(s, t, 1000.0, 1), (3, 4, 4, 5), (3, 4, 4, 7), 503),
        feature_case('beta=200 p=3, post-relu features', {'student': 's_feat', 'teacher': 't_feat', 'p': 3, 'beta': 200},
                     lambda s, t: at_ref(s, t, 200.0, 3), (4, 5, 5, 6), (4, 5, 5, 8), 504, relu=True),
    ]
    fx['rkd'] = [
        logits_case('logits, distance 25 angle 50', {}, lambda s, t, y: rkd_ref(s, t, 25.0, 50.0), 8, 7, 601),
        feature_case('NHWC features, distance 1 angle 2', {'student': 's_feat', 'teacher': 't_feat', 'distance': 1, 'angle': 2},
                     lambda s, t: rkd_ref(s, t, 1.0, 2.0), (8, 3, 3, 4), (8, 3, 3, 6), 602),
    ]
    return fx


def main():
    os.makedirs(OUT, exist_ok=True)
    for term, cases in build().items():
        doc = {
            'term': term,
            'generator': 'scripts/golden/distill_losses.py',
            'torch': torch.__version__,
            'note': 'inputs are float32 (9 significant digits); value and grads computed in float64; features NHWC',
            'cases': cases,
        }
        path = os.path.join(OUT, f'{term}.json')
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
            f.write('\n')
        os.replace(tmp, path)
        print(f'{os.path.relpath(path)}: {len(cases)} cases, values {[c["value"] for c in cases]}', file=sys.stderr)


if __name__ == '__main__':
    main()
