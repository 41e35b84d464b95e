#!/usr/bin/python3
"""Golden numbers for distillery's zero-cost proxies (src/search/proxies.ts).

Writes src/search/fixtures/proxies.json: small seeded MLPs (float32 weights in TF.js layout:
kernel [in, out]), an input batch, and both scores computed independently in PyTorch, float64:

  naswot   Mellor et al. 2021: binary codes c (pre-activation > 0 at every ReLU), kernel
           K = c c^T + (1 - c)(1 - c)^T over the batch, score log|det K|
  synflow  Tanaka et al. 2020: every parameter replaced by |θ|, an all-ones input of batch 1,
           R = sum of the outputs, score log Σ |θ ⊙ ∂R/∂θ| over every parameter (biases too)

Written plainly from the papers' definitions, so that the fixture pins distillery to them
rather than to itself.

Run: /usr/bin/python3 scripts/golden/proxies.py   (Debian's python3-torch; ~1 s)
"""
import json
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'search', 'fixtures')


def f32(shape, gen, scale=1.0):
    return (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale).float()


def enc(t):
    """{shape, data} with 9 significant digits: enough to round-trip a float32 exactly."""
    return {'shape': list(t.shape), 'data': [float('%.9g' % v) for v in t.double().reshape(-1).tolist()]}


def mlp(sizes, bias, gen):
    """Kernels [in, out] (TF.js's layout) scaled like Glorot, biases small but non-zero."""
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        k = f32((i, o), gen, (2.0 / (i + o)) ** 0.5)
        b = f32((o,), gen, 0.1) if bias else None
        layers.append((k, b))
    return layers


def forward(layers, x, codes=None):
    h = x
    for n, (k, b) in enumerate(layers):
        h = h @ k + (b if b is not None else 0)
        if n < len(layers) - 1:  # ReLU on every layer but the output
            if codes is not None:
                codes.append((h > 0).double())
            h = torch.relu(h)
    return h


def naswot(layers, x):
    codes = []
    forward([(k.double(), None if b is None else b.double()) for k, b in layers], x.double(), codes)
    c = torch.cat(codes, dim=1)
    K = c @ c.t() + (1 - c) @ (1 - c).t()
    sign, logdet = torch.linalg.slogdet(K)
    assert sign != 0, 'two samples share a code: pick another seed'
    return float(logdet)


def synflow(layers, n_in):
    params = []
    for k, b in layers:
        params.append(k.double().abs().requires_grad_(True))
        params.append(None if b is None else b.double().abs().requires_grad_(True))
    pairs = [(params[2 * i], params[2 * i + 1]) for i in range(len(layers))]
    R = forward(pairs, torch.ones(1, n_in, dtype=torch.float64)).sum()
    leaves = [p for p in params if p is not None]
    grads = torch.autograd.grad(R, leaves)
    total = sum(float((p * g).abs().sum()) for p, g in zip(leaves, grads))
    return float(torch.log(torch.tensor(total, dtype=torch.float64)))


def case(name, sizes, bias, batch, seed):
    gen = torch.Generator().manual_seed(seed)
    layers = mlp(sizes, bias, gen)
    x = f32((batch, sizes[0]), gen)
    weights = []
    for k, b in layers:
        weights.append(enc(k))
        if b is not None:
            weights.append(enc(b))
    return {
        'name': name, 'sizes': sizes, 'bias': bias,
        'weights': weights, 'x': enc(x),
        'naswot': float('%.12g' % naswot(layers, x)), 'synflow': float('%.12g' % synflow(layers, sizes[0])),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        case('MLP 6-5-4-3 with biases, batch 8', [6, 5, 4, 3], True, 8, 701),
        case('bias-free MLP 10-16-16-10, batch 12', [10, 16, 16, 10], False, 12, 702),
    ]
    doc = {
        'generator': 'scripts/golden/proxies.py', 'torch': torch.__version__,
        'note': 'weights and inputs are float32 (9 significant digits), kernels [in, out]; scores natural logs computed in float64',
        'cases': cases,
    }
    path = os.path.join(OUT, 'proxies.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    os.replace(path + '.tmp', path)
    print(f'{os.path.relpath(path)}: ' + '; '.join(f'{c["name"]}: naswot {c["naswot"]}, synflow {c["synflow"]}' for c in cases), file=sys.stderr)


if __name__ == '__main__':
    main()
