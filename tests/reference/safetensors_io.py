"""Minimal safetensors reader/writer (no dependency on the `safetensors` package).

File layout (https://github.com/huggingface/safetensors, "Format"):
  8 bytes   little-endian u64 N = byte length of the JSON header
  N bytes   UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
                         "__metadata__": {"key": "string value", ...}}   (metadata optional)
  rest      raw little-endian tensor bytes; data_offsets are relative to the start of this section.

The writer lays tensors out back to back in sorted-name order and pads the header with spaces to a
multiple of 8 bytes (as the reference implementation does), so data stays 8-byte aligned.
The reader is strict: it rejects gaps, overlaps, out-of-range offsets and size/shape mismatches,
because the fixtures it reads back are the ground truth for the C++ tests.
"""
import json
import struct

import numpy as np
import torch

# dtype tag -> (numpy little-endian dtype, torch dtype)
_DTYPES = {
    "F32": (np.dtype("<f4"), torch.float32),
    "F64": (np.dtype("<f8"), torch.float64),
    "I32": (np.dtype("<i4"), torch.int32),
    "I64": (np.dtype("<i8"), torch.int64),
}
_TAG_OF_TORCH = {t: tag for tag, (_, t) in _DTYPES.items()}


def save(path, tensors, metadata=None):
    """tensors: dict name -> torch.Tensor (dtype float32/float64/int32/int64). metadata: dict str->str."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TAG_OF_TORCH:
            raise ValueError(f"safetensors save: tensor '{name}' has unsupported dtype {t.dtype}")
        tag = _TAG_OF_TORCH[t.dtype]
        data = t.numpy().astype(_DTYPES[tag][0], copy=False).tobytes(order="C")
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError("safetensors save: __metadata__ must map str -> str")
        header["__metadata__"] = dict(metadata)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for c in chunks:
            f.write(c)


def load(path):
    """Returns (tensors: dict name -> torch.Tensor, metadata: dict or None)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past end of file ({len(raw)} bytes)")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", None)
    tensors = {}
    spans = []
    for name, info in header.items():
        if set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{path}: tensor '{name}' has header keys {sorted(info)}")
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {info['dtype']}")
        npdt, _ = _DTYPES[info["dtype"]]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * npdt.itemsize:
            raise ValueError(f"{path}: tensor '{name}' offsets [{begin},{end}) do not fit shape {shape}"
                             f" x {info['dtype']} in a {len(data)}-byte data section")
        arr = np.frombuffer(data, dtype=npdt, count=count, offset=begin).reshape(shape).copy()
        tensors[name] = torch.from_numpy(arr)
        spans.append((begin, end, name))
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin != pos:
            raise ValueError(f"{path}: gap or overlap before tensor '{name}' at data offset {begin}")
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing bytes after the last tensor")
    return tensors, metadata
