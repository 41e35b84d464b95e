#!/usr/bin/python3
"""Train a tiny BERT-style spam classifier in PyTorch, with its own tokenizer, and export both.

The result, in spam-tiny/, is an ONNX text teacher for `distillery distill` (type: onnx) that
brings its own tokenizer.json, as a teacher exported from PyTorch/transformers does:

- tokenizer.json: a cased BERT WordPiece tokenizer (2,000 tokens, [CLS] ... [SEP]) trained by
  Python `tokenizers` on the slice: different from any student tokenizer distillery builds
  (those are uncased, with no [CLS]/[SEP]);
- teacher.onnx: inputs `input_ids` and `attention_mask` (int64 [batch, 96]), output `logits`
  [batch, 2] (ham, spam); one pre-norm transformer encoder layer (2 heads, width 48) with the
  padding mask, masked mean pooling, a linear classifier;
- golden.json: for the probe e-mails, the teacher's ids and PyTorch logits, and the ids Python
  `tokenizers` gives with the student tokenizer that spam_slice.ts built: distillery's tests
  check its own tokenisation and ONNX run against them.

Inputs come from spam_slice.ts (a slice of the built-in spam training split), so no network:

    node --import tsx examples/teachers/spam_slice.ts /tmp/spamslice 1200
    OMP_NUM_THREADS=2 python3 examples/teachers/train_torch_text.py /tmp/spamslice

It needs Debian's torch (python3-torch, in /usr/bin/python3) and Python `tokenizers` (pip install
tokenizers; a venv made with `/usr/bin/python3 -m venv --system-site-packages` holds both).
"""

import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import Tokenizer
from tokenizers.implementations import BertWordPieceTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'spam-tiny')
MAX_LEN = 96
CLASSES = ['ham', 'spam']


def read_jsonl(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


class TinyBert(nn.Module):
    """Embedding + learned positions, one pre-norm encoder layer with the padding mask, masked mean pooling."""

    def __init__(self, vocab, d=48, heads=2, ff=96, classes=2):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(MAX_LEN, d))
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.ln3 = nn.LayerNorm(d)
        self.cls = nn.Linear(d, classes)

    def forward(self, input_ids, attention_mask):
        n, L = input_ids.shape
        m = attention_mask.to(torch.float32)
        x = self.tok(input_ids) + self.pos[:L]
        h = self.ln1(x)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        dh = q.shape[-1] // self.heads
        split = lambda t: t.reshape(n, L, self.heads, dh).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) / (dh ** 0.5) + (1.0 - m)[:, None, None, :] * -1e4
        a = torch.softmax(scores, dim=-1) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(n, L, -1))
        x = x + self.ff2(F.gelu(self.ff1(self.ln2(x))))
        x = self.ln3(x)
        pooled = (x * m[:, :, None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1.0)
        return self.cls(pooled)


def encode(tok, texts):
    enc = tok.encode_batch(texts)
    ids = torch.tensor([e.ids for e in enc], dtype=torch.int64)
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.int64)
    return ids, mask


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else '/tmp/spamslice'
    torch.manual_seed(1)
    torch.set_num_threads(2)
    train = read_jsonl(os.path.join(src, 'train.jsonl'))
    test = read_jsonl(os.path.join(src, 'test.jsonl'))
    probes = read_jsonl(os.path.join(src, 'probe.jsonl'))

    bert = BertWordPieceTokenizer(lowercase=False, strip_accents=False)
    bert.train_from_iterator([r['text'] for r in train], vocab_size=2000, min_frequency=2,
                             special_tokens=['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
    bert.enable_truncation(MAX_LEN)
    bert.enable_padding(length=MAX_LEN, pad_id=0, pad_token='[PAD]')
    os.makedirs(OUT, exist_ok=True)
    tok_path = os.path.join(OUT, 'tokenizer.json')
    bert.save(tok_path)
    tok = Tokenizer.from_file(tok_path)

    x, m = encode(tok, [r['text'] for r in train])
    y = torch.tensor([CLASSES.index(r['label']) for r in train])
    tx, tm = encode(tok, [r['text'] for r in test])
    ty = torch.tensor([CLASSES.index(r['label']) for r in test])
    model = TinyBert(tok.get_vocab_size())
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.time()
    for epoch in range(8):
        model.train()
        perm = torch.randperm(len(y))
        for s in range(0, len(y), 32):
            b = perm[s:s + 32]
            loss = F.cross_entropy(model(x[b], m[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(tx, tm).argmax(1) == ty).float().mean().item()
        print(f'epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {acc:.4f} ({time.time() - t0:.0f} s)')

    model.eval()
    onnx_path = os.path.join(OUT, 'teacher.onnx')
    torch.onnx.export(model, (tx[:2], tm[:2]), onnx_path, input_names=['input_ids', 'attention_mask'],
                      output_names=['logits'], opset_version=14,
                      dynamic_axes={'input_ids': {0: 'batch'}, 'attention_mask': {0: 'batch'}, 'logits': {0: 'batch'}})

    px, pm = encode(tok, [p['text'] for p in probes])
    with torch.no_grad():
        logits = model(px, pm)
    student = Tokenizer.from_file(os.path.join(src, 'student-tokenizer.json'))
    golden = {
        'maxLength': MAX_LEN,
        'classes': CLASSES,
        'testAccuracy': acc,
        'testSamples': len(ty),
        'probes': [
            {'key': p['key'], 'label': p['label'], 'text': p['text'], 'teacherIds': px[i].tolist(),
             'logits': [round(v, 6) for v in logits[i].tolist()],
             'studentIds': student.encode(p['text']).ids}
            for i, p in enumerate(probes)
        ],
    }
    with open(os.path.join(OUT, 'golden.json'), 'w', encoding='utf-8') as f:
        json.dump(golden, f, indent=1)
    print(f'wrote {OUT}: test accuracy {acc:.4f} on {len(ty)} e-mails, '
          f'{sum(p.numel() for p in model.parameters())} parameters, {os.path.getsize(onnx_path)} bytes ONNX')


if __name__ == '__main__':
    main()
