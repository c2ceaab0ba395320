/** The parity fixtures of test/fixtures/pretrained (scripts/fixtures/make-pretrained-fixtures.py) and a helper to compare hidden states. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../../../src/models/encoder.ts';
import { readNpy } from '../../../src/util/npy.ts';
import { repoRoot } from '../../helpers/paths.ts';

export const pretrainedDir = join(repoRoot, 'test/fixtures/pretrained');
export const fixture = (name: string) => join(pretrainedDir, name);

export function readJson(name: string): unknown {
  return JSON.parse(readFileSync(fixture(name), 'utf8'));
}

export function wave(): Float32Array {
  return readNpy(fixture('wave.npy')).data as Float32Array;
}

/** torchaudio's hidden states [L + 1, T, D] for the fixture waveform (Hugging Face's hidden_states). */
export function referenceHidden(model: 'hubert' | 'wav2vec2' | 'distil'): { data: Float32Array; shape: number[] } {
  const a = readNpy(fixture(`${model}-hidden.npy`));
  return { data: a.data as Float32Array, shape: a.shape };
}

/** Largest absolute difference. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Every hidden state of `enc` on the fixture waveform, Hugging Face's numbering (imported models): [0] the
 * transformer input, [i] layer i's output, the last one the encoder's output (after a pre-LN model's final LayerNorm).
 */
export function encoderHidden(enc: Encoder, x: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const out = enc.forward(tf.tensor2d(x, [1, x.length]));
    // Imported configs number hidden states as Hugging Face does: the last one is the output itself.
    assert.equal(out.hidden[enc.numLayers], out.output, 'hidden[layers] is the output');
    return out.hidden.map((h) => Float32Array.from(h.dataSync() as Float32Array));
  });
}

/** Asserts every hidden state within `tol` of the reference; returns the largest difference. */
export function assertHiddenClose(got: Float32Array[], model: 'hubert' | 'wav2vec2' | 'distil', tol = 1e-4): number {
  const ref = referenceHidden(model);
  const [n, t, d] = ref.shape;
  assert.equal(got.length, n, `hidden states: ${got.length}, reference ${n}`);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(got[i].length, t * d, `hidden state ${i}: ${got[i].length} values, reference ${t} x ${d}`);
    const diff = maxAbsDiff(got[i], ref.data.subarray(i * t * d, (i + 1) * t * d));
    assert.ok(diff < tol, `${model} hidden state ${i}: max |diff| ${diff} >= ${tol}`);
    worst = Math.max(worst, diff);
  }
  return worst;
}
