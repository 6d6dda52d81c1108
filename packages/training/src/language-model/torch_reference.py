"""The bilinear transformer of make_lm.py (../shared/fixtures/lm: the official architecture, tdooms/
bilinear-decomposition src/language/transformer.py) as a PyTorch module built from an HF folder's
config.json: the independent reference the TensorFlow.js trainer is checked and timed against.
Needs Debian's python3-torch (/usr/bin/python3); reads safetensors with numpy alone.

  torch_reference.py score <folder> <tokens.json>
      load_state_dict(strict=True) of the folder's model.safetensors, then the mean next-token
      cross-entropy over the sequences in float64: {"loss", "tokens", "missing": [], "unexpected": []}
  torch_reference.py time <config.json> <batch> <steps> <threads>
      seconds per AdamW training step (betas (0.9, 0.95), weight decay 0.1) on random windows of
      n_ctx tokens, after two untimed steps: {"tokens_per_s", "seconds_per_step", "torch", "threads"}
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch

GATES = {None: lambda x: x, "relu": torch.relu, "silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu}


def rms(x):
    return x * torch.rsqrt(torch.mean(x.pow(2), dim=-1, keepdim=True) + 1e-8)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Rotary(torch.nn.Module):
    def __init__(self, dh):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dh, 2).float() / dh)))

    def forward(self, q, k):
        t = torch.arange(q.size(-2)).type_as(self.inv_freq)
        emb = torch.cat([torch.einsum("i,j->ij", t, self.inv_freq)] * 2, dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class Attention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.d = c["n_head"], c["d_model"]
        self.rotary = Rotary(self.d // self.heads)
        self.qkv = torch.nn.Linear(self.d, 3 * self.d, bias=False)
        self.o = torch.nn.Linear(self.d, self.d, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        dh = self.d // self.heads
        # 'b s (n h d) -> n b h s d'
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = self.rotary(q, k)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        scores = scores.masked_fill(torch.tril(torch.ones(t, t)) == 0, -float("inf"))
        z = torch.softmax(scores, -1) @ v
        return self.o(z.permute(0, 2, 1, 3).reshape(b, t, self.d))


class MLP(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = GATES[c.get("gate")]
        self.w = torch.nn.Linear(c["d_model"], 2 * c["d_hidden"], bias=False)
        self.p = torch.nn.Linear(c["d_hidden"], c["d_model"], bias=False)

    def forward(self, x):
        left, right = self.w(x).chunk(2, dim=-1)
        return self.p(self.act(left) * right)


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attn, self.mlp = Attention(c), MLP(c)
        self.scale = 1.0 / math.sqrt(2 * c["n_layer"]) if c.get("scale_attn", True) else 1.0
        self.norm = rms if c.get("normalization", True) else (lambda x: x)

    def forward(self, x):
        x = x + self.scale * self.attn(self.norm(x))
        return x + self.mlp(self.norm(x))


class LM(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        vocab = c.get("vocab_size", c.get("n_vocab"))
        self.transformer = torch.nn.ModuleDict(dict(
            wte=torch.nn.Embedding(vocab, c["d_model"]),
            h=torch.nn.ModuleList([Layer(c) for _ in range(c["n_layer"])]),
        ))
        self.lm_head = torch.nn.Linear(c["d_model"], vocab, bias=False)
        self.norm = rms if c.get("normalization", True) else (lambda x: x)

    def forward(self, ids):
        x = self.transformer.wte(ids)
        for layer in self.transformer.h:
            x = layer(x)
        return self.lm_head(self.norm(x))


def loss_of(model, ids):
    logits = model(ids)
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), ids[:, 1:].reshape(-1))


DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.astype(np.float32))
    return tensors


def score(folder, tokens_path):
    config = json.load(open(f"{folder}/config.json"))
    model = LM(config)
    result = model.load_state_dict(read_safetensors(f"{folder}/model.safetensors"), strict=True)
    sequences = json.load(open(tokens_path))
    model = model.double().eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for sequence in sequences:
            ids = torch.tensor([sequence])
            n = len(sequence) - 1
            total += float(loss_of(model, ids)) * n
            count += n
    print(json.dumps({"loss": total / count, "tokens": count,
                      "missing": result.missing_keys, "unexpected": result.unexpected_keys}))


def time_steps(config_path, batch, steps, threads):
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    config = json.load(open(config_path))
    model = LM(config)
    vocab, context = config["vocab_size"], config["n_ctx"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    stream = torch.randint(0, vocab, (100_000,))

    def step():
        starts = torch.randint(0, len(stream) - context, (batch,))
        ids = torch.stack([stream[s:s + context] for s in starts])
        loss = loss_of(model, ids)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - started) / steps
    print(json.dumps({"tokens_per_s": batch * context / seconds, "seconds_per_step": seconds,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "score":
        score(sys.argv[2], sys.argv[3])
    elif command == "time":
        time_steps(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(f"unknown command {command}: score or time")
