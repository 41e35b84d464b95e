"""The PyTorch side of bench:text: the same small text transformer as bench/text.ts builds from
its spec (embedding + learned positions, pre-norm encoder layers with the padding mask, masked
mean pooling, linear head), trained with Adam on random token ids with right padding (id 0).

Called through torch_peer.py --serve with {"cmd": "text_round", ...}; see bench/text.ts.
"""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class TextNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['dim']
        self.embed = nn.Embedding(c['vocab'], d)
        self.pos = nn.Parameter(torch.randn(c['length'], d) * 0.02)
        # norm_first = distillery's pre-norm; gelu (exact erf here, tanh form in distillery: same cost class)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d, c['heads'], c['ff'], dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
            for _ in range(c['layers'])])
        self.head = nn.Linear(d, c['classes'])

    def forward(self, ids):
        pad = ids == 0
        x = self.embed(ids) + self.pos
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        m = (~pad).float().unsqueeze(2)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1)
        return self.head(pooled)


def batches(c, n):
    g = torch.Generator().manual_seed(c.get('seed', 1))
    ids = torch.randint(1, c['vocab'], (n, c['length']), generator=g)
    lengths = torch.randint(1, c['length'] + 1, (n, 1), generator=g)
    ids[torch.arange(c['length']).unsqueeze(0) >= lengths] = 0
    y = torch.randint(0, c['classes'], (n,), generator=g)
    return ids, y


def text_round(c):
    """Builds the model afresh and times `steps` Adam steps after `warmup` untimed ones."""
    torch.manual_seed(c.get('seed', 1))
    model = TextNet(c)
    b = c['batch']
    n = b * 8
    ids, y = batches(c, n)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    warmup, steps = c['warmup'], c['steps']
    t0, loss_sum = 0.0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        j = (i * b) % n
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids[j:j + b]), y[j:j + b])
        loss.backward()
        opt.step()
        loss_sum += loss.item()  # distillery's trainer reads its loss every step at reportEvery 1
    ms = (time.perf_counter() - t0) * 1000 / steps
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {'ms_per_step': ms, 'steps': steps, 'warmup': warmup, 'params': params, 'loss': loss_sum / (warmup + steps)}
