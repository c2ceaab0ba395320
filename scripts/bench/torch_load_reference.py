"""Helper of `npm run bench -- torch-load` (Debian's python3-torch 1.13).

    python3 scripts/bench/torch_load_reference.py write OUT.pt DTYPE LEGACY   # a HuBERT-base-shaped random state dict
    python3 scripts/bench/torch_load_reference.py load OUT.pt                 # torch.load it; prints one JSON line

The state dict has the parameter names and shapes of fairseq's HuBERT base (7-layer conv feature
extractor with 512 channels, 12 transformer layers of 768 with feed-forward 3072, a positional
convolution of kernel 128 in 16 groups with weight norm): about 94.7M parameters.
"""
import json
import resource
import sys
import time
from collections import OrderedDict

import torch


def hubert_base_shapes():
    shapes = OrderedDict()
    convs = [(512, 1, 10)] + [(512, 512, 3)] * 4 + [(512, 512, 2)] * 2
    for i, s in enumerate(convs):
        shapes[f'feature_extractor.conv_layers.{i}.0.weight'] = s
    shapes['feature_extractor.conv_layers.0.2.weight'] = (512,)
    shapes['feature_extractor.conv_layers.0.2.bias'] = (512,)
    shapes['layer_norm.weight'] = (512,)
    shapes['layer_norm.bias'] = (512,)
    shapes['post_extract_proj.weight'] = (768, 512)
    shapes['post_extract_proj.bias'] = (768,)
    shapes['mask_emb'] = (768,)
    shapes['encoder.pos_conv.0.bias'] = (768,)
    shapes['encoder.pos_conv.0.weight_g'] = (1, 1, 128)
    shapes['encoder.pos_conv.0.weight_v'] = (768, 48, 128)
    shapes['encoder.layer_norm.weight'] = (768,)
    shapes['encoder.layer_norm.bias'] = (768,)
    for i in range(12):
        p = f'encoder.layers.{i}.'
        for proj in ['k_proj', 'v_proj', 'q_proj', 'out_proj']:
            shapes[p + f'self_attn.{proj}.weight'] = (768, 768)
            shapes[p + f'self_attn.{proj}.bias'] = (768,)
        for ln in ['self_attn_layer_norm', 'final_layer_norm']:
            shapes[p + f'{ln}.weight'] = (768,)
            shapes[p + f'{ln}.bias'] = (768,)
        shapes[p + 'fc1.weight'] = (3072, 768)
        shapes[p + 'fc1.bias'] = (3072,)
        shapes[p + 'fc2.weight'] = (768, 3072)
        shapes[p + 'fc2.bias'] = (768,)
    shapes['final_proj.weight'] = (256, 768)
    shapes['final_proj.bias'] = (256,)
    shapes['label_embs_concat'] = (504, 256)
    return shapes


def write(out, dtype, legacy):
    g = torch.Generator().manual_seed(0)
    sd = OrderedDict((k, torch.randn(*s, generator=g).to(getattr(torch, dtype))) for k, s in hubert_base_shapes().items())
    n = sum(t.numel() for t in sd.values())
    torch.save({'model': sd, 'cfg': {'model': {'_name': 'hubert'}}}, out, _use_new_zipfile_serialization=not legacy)
    print(json.dumps({'params': n, 'tensors': len(sd)}))


def load(path):
    torch.set_num_threads(1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    ckpt = torch.load(path, map_location='cpu')
    weights = [v.float() for v in ckpt['model'].values()]
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({'ref': 'torch.load', 'seconds': seconds, 'rss_before_mb': before / 1024, 'peak_rss_mb': peak / 1024, 'tensors': len(weights)}))


if sys.argv[1] == 'write':
    write(sys.argv[2], sys.argv[3], sys.argv[4] == '1')
else:
    load(sys.argv[2])
