#!/usr/bin/python3
"""PyTorch peer of distillery's training benchmark (npm run bench:peer).

Builds a model from a distillery *resolved* model spec (the same JSON that distillery's
buildModel reads, so both sides train the same architecture), then times training steps:
batch drawn from a random data set by a shuffled index, forward, softmax cross-entropy,
backward, Adam, and the loss read back every step (as distillery's trainer does).

Two modes:
  torch_peer.py [--quick]     runs the three bench models in turn, prints one JSON object
  torch_peer.py --specs       prints the three models' specs (a test checks them against bench/models.ts)
  torch_peer.py --serve       one JSON command per stdin line, one JSON answer per stdout line:
                              {"cmd": "info"}
                              {"cmd": "round", "name": "mlp", "spec": {...}, "batch": 128,
                               "warmup": 2, "steps": 20, "seed": 1}
                              {"cmd": "quit"}

Run it with OMP_WAIT_POLICY=PASSIVE and, where libblas.so.3 is the reference BLAS,
LD_PRELOAD=libopenblas.so.0 (bench/peers/torch.ts does both).
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# tfjs-layers' BatchNormalization defaults: epsilon 1e-3, moving average momentum 0.99
# (PyTorch counts momentum the other way round: 1 - 0.99).
BN_EPS = 1e-3
BN_MOMENTUM = 0.01

ACTIVATIONS = {
    'linear': nn.Identity,
    'relu': nn.ReLU,
    'relu6': nn.ReLU6,
    'sigmoid': nn.Sigmoid,
    'hsigmoid': nn.Hardsigmoid,
    'tanh': nn.Tanh,
    'swish': nn.SiLU,
    'hswish': nn.Hardswish,
}


def act(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation '{name}' has no PyTorch peer; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def same_pad(kernel, padding):
    # TF's 'same' pads asymmetrically for even strides; k//2 on both sides gives the same
    # output size for odd kernels, and the same work, which is all a speed peer needs.
    if padding == 'valid':
        return 0
    if kernel % 2 == 0:
        raise ValueError(f'padding same with an even kernel ({kernel}) has no symmetric PyTorch peer')
    return kernel // 2


def out_size(size, kernel, stride, padding):
    return math.ceil(size / stride) if padding == 'same' else (size - kernel) // stride + 1


class MBConv(nn.Module):
    """MobileNetV2 inverted residual, as distillery's mbconv block builds it."""

    def __init__(self, cin, b):
        super().__init__()
        if b['se']:
            raise ValueError('mbconv with squeeze-excite has no peer here')
        e = cin * b['expansion']
        layers = []
        if b['expansion'] > 1:
            layers += [nn.Conv2d(cin, e, 1, bias=False), nn.BatchNorm2d(e, BN_EPS, BN_MOMENTUM), act(b['activation'])]
        k = b['kernel']
        layers += [
            nn.Conv2d(e, e, k, b['stride'], same_pad(k, 'same'), groups=e, bias=False),
            nn.BatchNorm2d(e, BN_EPS, BN_MOMENTUM),
            act(b['activation']),
            nn.Conv2d(e, b['filters'], 1, bias=False),
            nn.BatchNorm2d(b['filters'], BN_EPS, BN_MOMENTUM),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = b['stride'] == 1 and cin == b['filters']

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


def build(spec):
    """nn.Sequential of a resolved distillery spec; returns (model, is_image)."""
    shape = list(spec['input'])
    image = len(shape) == 3
    h, w, c = (shape + [0, 0])[:3] if image else (0, 0, 0)
    feat = shape[0] if not image else 0
    layers = []
    for b in spec['blocks']:
        t = b['type']
        if t in ('conv2d', 'sepconv'):
            k, s, p = b['kernel'], b['stride'], b['padding']
            if t == 'sepconv':
                layers.append(nn.Conv2d(c, c, k, s, same_pad(k, p), groups=c, bias=b['bias']))
                if b['batchNorm']:
                    layers.append(nn.BatchNorm2d(c, BN_EPS, BN_MOMENTUM))
                layers.append(act(b['activation']))
                layers.append(nn.Conv2d(c, b['filters'], 1, bias=b['bias']))
            else:
                layers.append(nn.Conv2d(c, b['filters'], k, s, same_pad(k, p), bias=b['bias']))
            c = b['filters']
            h, w = out_size(h, k, s, p), out_size(w, k, s, p)
            if b['batchNorm']:
                layers.append(nn.BatchNorm2d(c, BN_EPS, BN_MOMENTUM))
            layers.append(act(b['activation']))
        elif t == 'mbconv':
            layers.append(MBConv(c, b))
            c = b['filters']
            h, w = out_size(h, b['kernel'], b['stride'], 'same'), out_size(w, b['kernel'], b['stride'], 'same')
        elif t in ('maxpool', 'avgpool'):
            if b['padding'] != 'valid':
                raise ValueError(f'{t} with padding same has no peer here')
            cls = nn.MaxPool2d if t == 'maxpool' else nn.AvgPool2d
            layers.append(cls(b['size'], b['stride']))
            h, w = out_size(h, b['size'], b['stride'], 'valid'), out_size(w, b['size'], b['stride'], 'valid')
        elif t == 'globalavgpool':
            layers.append(GlobalAvgPool())
            image, feat = False, c
        elif t == 'flatten':
            layers.append(nn.Flatten())
            if image:
                image, feat = False, h * w * c
        elif t == 'dense':
            layers.append(nn.Linear(feat, b['units'], bias=b['bias']))
            layers.append(act(b['activation']))
            feat = b['units']
        elif t == 'batchnorm':
            layers.append(nn.BatchNorm2d(c, BN_EPS, BN_MOMENTUM) if image else nn.BatchNorm1d(feat, BN_EPS, BN_MOMENTUM))
        elif t == 'activation':
            layers.append(act(b['fn']))
        elif t == 'dropout':
            layers.append(nn.Dropout(b['rate']))
        else:
            raise ValueError(f"block type '{t}' has no PyTorch peer")
    return nn.Sequential(*layers), len(shape) == 3


def blas_libs():
    """The BLAS/LAPACK/OpenMP libraries this process has mapped: which BLAS torch really calls."""
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            path = line.split()[-1]
            if path.startswith('/') and any(k in os.path.basename(path) for k in ('blas', 'lapack', 'omp', 'mkl', 'dnnl')):
                libs.add(path)
    return sorted(libs)


def matmul_gflops(n=1024, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def info():
    libs = blas_libs()
    names = [os.path.basename(l) for l in libs]
    blas = next((l for l in names if 'openblas' in l), None) or next((l for l in names if 'blas' in l or 'mkl' in l), 'unknown')
    return {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'interop_threads': torch.get_num_interop_threads(),
        'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY'),
        'blas': blas,
        'libs': libs,
        'matmul_gflops_1024': round(matmul_gflops(), 1),
    }


def train_round(cmd):
    """Builds the model afresh and times `steps` training steps after `warmup` untimed ones."""
    torch.manual_seed(cmd.get('seed', 1))
    spec, batch = cmd['spec'], cmd['batch']
    model, image = build(spec)
    shape = spec['input']
    classes = spec['blocks'][-1]['units']
    n = batch * 8
    if image:
        hh, ww, cc = shape
        x = torch.rand(n, cc, hh, ww).contiguous(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    else:
        x = torch.rand(n, shape[0])
    y = torch.randint(0, classes, (n,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    perm = torch.randperm(n)
    warmup, steps = cmd['warmup'], cmd['steps']
    loss_sum, correct_sum, t0 = 0.0, 0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        j = (i * batch) % n
        idx = perm[j:j + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        correct = (out.detach().argmax(1) == yb).sum()
        # distillery's trainer reads its running loss and accuracy every step at reportEvery 1: so do we.
        loss_sum += loss.item() * batch
        correct_sum += correct.item()
    ms = (time.perf_counter() - t0) * 1000 / steps
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {'name': cmd.get('name'), 'ms_per_step': ms, 'steps': steps, 'warmup': warmup, 'params': params, 'loss': loss_sum / ((warmup + steps) * batch), 'accuracy': correct_sum / ((warmup + steps) * batch)}


# The bench's three models (bench/models.ts holds the same specs; in --serve mode the caller's win).
DEFAULT_SPECS = {
    'mlp': {'input': [784], 'blocks': [
        {'type': 'dense', 'units': 1200, 'activation': 'relu', 'bias': True},
        {'type': 'dense', 'units': 1200, 'activation': 'relu', 'bias': True},
        {'type': 'dense', 'units': 10, 'activation': 'linear', 'bias': True}]},
    'cnn': {'input': [28, 28, 1], 'blocks': [
        {'type': 'conv2d', 'filters': 32, 'kernel': 3, 'stride': 1, 'padding': 'valid', 'activation': 'relu', 'batchNorm': False, 'bias': True},
        {'type': 'maxpool', 'size': 2, 'stride': 2, 'padding': 'valid'},
        {'type': 'conv2d', 'filters': 64, 'kernel': 3, 'stride': 1, 'padding': 'valid', 'activation': 'relu', 'batchNorm': False, 'bias': True},
        {'type': 'maxpool', 'size': 2, 'stride': 2, 'padding': 'valid'},
        {'type': 'flatten'},
        {'type': 'dense', 'units': 128, 'activation': 'relu', 'bias': True},
        {'type': 'dense', 'units': 10, 'activation': 'linear', 'bias': True}]},
    'mobilenet': {'input': [32, 32, 3], 'blocks': [
        {'type': 'conv2d', 'filters': 16, 'kernel': 3, 'stride': 2, 'padding': 'same', 'activation': 'relu6', 'batchNorm': True, 'bias': False},
        *[{'type': 'mbconv', 'filters': f, 'expansion': 6, 'kernel': 3, 'stride': s, 'se': 0, 'activation': 'relu6'}
          for f, s in ((16, 1), (24, 2), (24, 1), (32, 2), (32, 1), (64, 1))],
        {'type': 'globalavgpool'},
        {'type': 'dense', 'units': 10, 'activation': 'linear', 'bias': True}]},
}


def standalone(quick):
    steps, rounds = (5, 3) if quick else (20, 3)
    rows = {}
    for name, spec in DEFAULT_SPECS.items():
        runs = [train_round({'name': name, 'spec': spec, 'batch': 128, 'warmup': 2, 'steps': steps}) for _ in range(rounds)]
        ms = sorted(r['ms_per_step'] for r in runs)
        rows[name] = {'ms_per_step': ms[len(ms) // 2], 'rounds': [r['ms_per_step'] for r in runs], 'steps': steps, 'params': runs[0]['params']}
    print(json.dumps({'event': 'done', 'peer': 'torch', 'info': info(), 'models': rows}))


def serve():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            if cmd['cmd'] == 'quit':
                break
            if cmd['cmd'] == 'text_round':  # bench:text's transformer (torch_text.py)
                from torch_text import text_round
                out = text_round(cmd)
            else:
                out = info() if cmd['cmd'] == 'info' else train_round(cmd) if cmd['cmd'] == 'round' else {'error': f"unknown cmd {cmd['cmd']}"}
        except Exception as e:  # the caller shows it; the peer stays up for the next command
            out = {'error': f'{type(e).__name__}: {e}'}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    torch.set_num_threads(int(os.environ.get('PEER_THREADS', '2')))
    if '--serve' in sys.argv:
        serve()
    elif '--specs' in sys.argv:
        print(json.dumps(DEFAULT_SPECS))
    else:
        standalone('--quick' in sys.argv)
