"""Helper of `npm run bench -- pretrained-infer` (Debian's python3-torch 1.13 and python3-torchaudio 0.13).

    python3 scripts/bench/pretrained_infer_reference.py write DIR SECONDS   # hubert_base (seeded random weights), its
                                                                          # wav2vec2_model arguments, a waveform
    python3 scripts/bench/pretrained_infer_reference.py serve DIR THREADS   # eager inference on request: reads lines
                                                                          # "run" (prints {"ms": ...}) and "save OUT.npy"

torchaudio's `hubert_base` is HuBERT base's shape (7 conv layers of 512, 12 post-LN layers of 768, FFN 3072,
pos conv 128 / 16): 94.4M parameters.
"""
import json
import sys
import time

import numpy as np
import torch
from torchaudio.models import hubert_base

CONFIG = dict(
    extractor_mode='group_norm', extractor_conv_layer_config=None, extractor_conv_bias=False, encoder_embed_dim=768,
    encoder_projection_dropout=0.1, encoder_pos_conv_kernel=128, encoder_pos_conv_groups=16, encoder_num_layers=12,
    encoder_num_heads=12, encoder_attention_dropout=0.1, encoder_ff_interm_features=3072, encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.1, encoder_layer_norm_first=False, encoder_layer_drop=0.05, aux_num_out=None,
)


def write(folder, seconds):
    torch.manual_seed(0)
    model = hubert_base()
    torch.save(model.state_dict(), f'{folder}/hubert-base.pt')
    with open(f'{folder}/hubert-base.json', 'w') as f:
        json.dump(CONFIG, f)
    g = torch.Generator().manual_seed(1)
    n = int(16000 * float(seconds))
    t = torch.arange(n) / 16000
    wave = 0.3 * torch.sin(2 * np.pi * 200 * t) + 0.05 * torch.randn(n, generator=g)
    np.save(f'{folder}/wave.npy', wave.numpy().astype('<f4'))
    print(json.dumps({'parameters': sum(p.numel() for p in model.parameters()), 'samples': n}))


def serve(folder, threads):
    torch.set_num_threads(int(threads))
    model = hubert_base()
    model.load_state_dict(torch.load(f'{folder}/hubert-base.pt'))
    model.eval()
    wave = torch.from_numpy(np.load(f'{folder}/wave.npy'))[None]
    out = None
    print(json.dumps({'ready': True, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == 'run':
            t = time.perf_counter()
            with torch.inference_mode():
                out, _ = model(wave)
            print(json.dumps({'ms': (time.perf_counter() - t) * 1000}), flush=True)
        elif cmd[0] == 'save':
            np.save(cmd[1], out[0].numpy().astype('<f4'))
            print(json.dumps({'saved': cmd[1]}), flush=True)


if __name__ == '__main__':
    {'write': write, 'serve': serve}[sys.argv[1]](*sys.argv[2:])
