"""The TTEView SlowFast network written again in PyTorch, from its config alone.

It mirrors crates/tte-slowfast/src/model.rs module for module, with the same parameter names, so a
state dict exported by Burn (`parity-export`, safetensors in PyTorch naming) loads without renaming.
The layout is pytorchvideo's SlowFast: a Slow and a Fast pathway, lateral Fast->Slow fusions before
each of the four residual stages, a (1,3,3) max pool after the stems, global average pooling, one
linear head.
"""

import torch
from torch import nn
import torch.nn.functional as F


class ConvBn(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride):
        super().__init__()
        padding = tuple(k // 2 for k in kernel)
        self.conv = nn.Conv3d(c_in, c_out, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm3d(c_out, eps=1e-5, momentum=0.1)

    def forward(self, x):
        return self.bn(self.conv(x))


class Bottleneck(nn.Module):
    def __init__(self, c_in, inner, c_out, t_kernel, stride):
        super().__init__()
        self.conv_a = ConvBn(c_in, inner, (t_kernel, 1, 1), (1, 1, 1))
        self.conv_b = ConvBn(inner, inner, (1, 3, 3), (1, stride, stride))
        self.conv_c = ConvBn(inner, c_out, (1, 1, 1), (1, 1, 1))
        needs_projection = c_in != c_out or stride != 1
        self.shortcut = ConvBn(c_in, c_out, (1, 1, 1), (1, stride, stride)) if needs_projection else None

    def forward(self, x):
        skip = self.shortcut(x) if self.shortcut is not None else x
        y = F.relu(self.conv_a(x))
        y = F.relu(self.conv_b(y))
        return F.relu(self.conv_c(y) + skip)


class Stage(nn.Module):
    def __init__(self, c_in, inner, c_out, depth, t_kernel, stride):
        super().__init__()
        self.blocks = nn.ModuleList(
            Bottleneck(c_in if i == 0 else c_out, inner, c_out, t_kernel, stride if i == 0 else 1)
            for i in range(depth)
        )

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class SlowFast(nn.Module):
    """`cfg` is the JSON of a SlowFastConfig (crates/tte-slowfast/src/config.rs)."""

    def __init__(self, cfg, slow_indices):
        super().__init__()
        fast = lambda w: max(w // cfg["beta_inv"], 1)
        ks, kt = cfg["stem_kernel"], cfg["fast_stem_temporal"]
        self.slow_stem = ConvBn(cfg["input_channels"], cfg["stem_width"], (1, ks, ks), (1, 2, 2))
        fast_stem_width = fast(cfg["stem_width"])
        self.fast_stem = ConvBn(cfg["input_channels"], fast_stem_width, (kt, ks, ks), (1, 2, 2))
        slow_in, fast_in = cfg["stem_width"], fast_stem_width
        self.fusions, self.slow_stages, self.fast_stages = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for s in range(4):
            fused = fast_in * cfg["fusion_ratio"]
            self.fusions.append(ConvBn(fast_in, fused, (cfg["fusion_kernel"], 1, 1), (cfg["alpha"], 1, 1)))
            slow_in += fused
            inner, stride, depth = cfg["inner_widths"][s], cfg["spatial_strides"][s], cfg["depths"][s]
            slow_out = inner * cfg["expansion"]
            self.slow_stages.append(Stage(slow_in, inner, slow_out, depth, cfg["slow_temporal"][s], stride))
            fast_inner = fast(inner)
            fast_out = fast_inner * cfg["expansion"]
            self.fast_stages.append(Stage(fast_in, fast_inner, fast_out, depth, cfg["fast_temporal"][s], stride))
            slow_in, fast_in = slow_out, fast_out
        self.dropout = nn.Dropout(cfg["dropout"])
        self.head = nn.Linear(slow_in + fast_in, cfg["num_classes"])
        self.register_buffer("slow_indices", torch.tensor(slow_indices, dtype=torch.long), persistent=False)

    @staticmethod
    def pool(x):
        return F.max_pool3d(x, (1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, clip):
        slow = clip.index_select(2, self.slow_indices)
        slow = self.pool(F.relu(self.slow_stem(slow)))
        fast = self.pool(F.relu(self.fast_stem(clip)))
        for fusion, slow_stage, fast_stage in zip(self.fusions, self.slow_stages, self.fast_stages):
            slow = torch.cat([slow, F.relu(fusion(fast))], 1)
            slow = slow_stage(slow)
            fast = fast_stage(fast)
        features = torch.cat([slow.mean((2, 3, 4)), fast.mean((2, 3, 4))], 1)
        return self.head(self.dropout(features))


def read_safetensors(path):
    """A safetensors file as {name: float32 tensor} (the format is 8 bytes of header length, a JSON
    header, then raw little-endian data), read without the safetensors package."""
    import json
    import struct

    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = memoryview(raw)[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: expected F32, got {info['dtype']}")
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"])
    return tensors
