"""An SAE's reconstruction MSE at a hook point, computed independently of the project's code.

numpy only, in float64, from the official architecture as the fixture's make_lm.py writes it in PyTorch
(tdooms/bilinear-decomposition: RMS norm, rotary attention scaled by 1/sqrt(2L) when scale_attn, the
bilinear MLP p((w_l x) * (w_r x))), and the TopK SAE of the official layout (the k largest of
w_enc (x - b_dec), decoded as w_dec h + b_dec). Reads {"windows": [[ids…], …]} on stdin; prints
{"mse", "positions"}: the mean over positions of ||x - x̂||² / d of the mlp-out activations at `layer`.

usage: python3 sae_mse_numpy.py <model folder> <sae folder> <layer>
"""
import json
import math
import struct
import sys

import numpy as np


def read_safetensors(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        raw = np.frombuffer(data[8 + length + start : 8 + length + end], dtype="<f4")
        tensors[name] = raw.astype(np.float64).reshape(info["shape"])
    return tensors


def rms(x):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-8)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def mlp_out(weights, config, ids, layer):
    d, heads, layers = config["d_model"], config["n_head"], config["n_layer"]
    dh = d // heads
    scale = 1.0 / math.sqrt(2 * layers) if config.get("scale_attn", True) else 1.0
    x = weights["transformer.wte.weight"][ids]
    T = len(ids)
    for index in range(layer + 1):
        prefix = f"transformer.h.{index}."
        a = rms(x)
        qkv = (a @ weights[prefix + "attn.qkv.weight"].T).reshape(T, 3, heads, dh).transpose(1, 2, 0, 3)
        q, k, v = qkv[0], qkv[1], qkv[2]
        inv_freq = 1.0 / (10000 ** (np.arange(0, dh, 2) / dh))
        angles = np.outer(np.arange(T), inv_freq)
        emb = np.concatenate([angles, angles], axis=-1)
        cos, sin = np.cos(emb)[None], np.sin(emb)[None]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        scores = np.where(np.tril(np.ones((T, T))) == 0, -np.inf, scores)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        z = (scores @ v).transpose(1, 0, 2).reshape(T, d)
        x = x + scale * (z @ weights[prefix + "attn.o.weight"].T)
        left, right = np.split(rms(x) @ weights[prefix + "mlp.w.weight"].T, 2, axis=-1)
        out = (left * right) @ weights[prefix + "mlp.p.weight"].T
        if index == layer:
            return out
        x = x + out


def main():
    model_folder, sae_folder, layer = sys.argv[1], sys.argv[2], int(sys.argv[3])
    config = json.load(open(f"{model_folder}/config.json"))
    weights = read_safetensors(f"{model_folder}/model.safetensors")
    sae = read_safetensors(f"{sae_folder}/model.safetensors")
    k = json.load(open(f"{sae_folder}/config.json"))["k"]
    windows = json.load(sys.stdin)["windows"]
    squared, positions = 0.0, 0
    for ids in windows:
        x = mlp_out(weights, config, np.array(ids), layer)
        pre = (x - sae["b_dec"]) @ sae["w_enc.weight"].T
        code = np.zeros_like(pre)
        top = np.argsort(-pre, axis=-1, kind="stable")[:, :k]
        np.put_along_axis(code, top, np.take_along_axis(pre, top, axis=-1), axis=-1)
        rebuilt = code @ sae["w_dec.weight"].T + sae["b_dec"]
        squared += float(np.sum((x - rebuilt) ** 2))
        positions += len(ids)
    print(json.dumps({"mse": squared / (positions * config["d_model"]), "positions": positions}))


main()
