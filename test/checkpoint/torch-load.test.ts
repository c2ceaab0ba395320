import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findStateDict, loadStateDict, loadTorchFile } from '../../src/checkpoint/torch-load.ts';
import { FileRangeSource, TorchTensor } from '../../src/checkpoint/torch-tensor.ts';
import { PYTHON_CLASS } from '../../src/checkpoint/pickle-values.ts';
import { CheckpointFormatError } from '../../src/checkpoint/format-error.ts';

const DIR = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
interface Expected {
  dtype: string;
  shape: number[];
  strides: number[];
  offset: number;
  values: (number | string)[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')).files as Record<string, Record<string, Expected>>;

/** Checks every tensor against what PyTorch read back: dtype, shape, strides, offset, elements exactly. */
function checkTensors(tensors: Record<string, unknown>, expected: Record<string, Expected>, label: string): void {
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected).sort(), `${label}: tensor names`);
  for (const [name, e] of Object.entries(expected)) {
    const t = tensors[name];
    assert.ok(t instanceof TorchTensor, `${label}/${name} is a TorchTensor`);
    assert.equal(t.dtype, e.dtype, `${label}/${name} dtype`);
    assert.deepEqual(t.shape, e.shape, `${label}/${name} shape`);
    assert.deepEqual(t.strides, e.strides, `${label}/${name} strides`);
    assert.equal(t.storageOffset, e.offset, `${label}/${name} storage offset`);
    const f32 = t.toFloat32();
    assert.ok(f32 instanceof Float32Array);
    if (e.dtype === 'int64') {
      assert.deepEqual(Array.from(t.toTypedArray() as BigInt64Array, String), e.values, `${label}/${name} int64 values exactly`);
      assert.deepEqual(Array.from(f32), e.values.map((v) => Math.fround(Number(v))), `${label}/${name} as float32`);
    } else if (e.dtype === 'float64') {
      assert.deepEqual(Array.from(t.toTypedArray() as Float64Array), e.values, `${label}/${name} float64 values exactly`);
      assert.deepEqual(Array.from(f32), (e.values as number[]).map(Math.fround), `${label}/${name} rounded to float32`);
    } else if (['int32', 'int16', 'int8', 'uint8', 'bool'].includes(e.dtype)) {
      assert.deepEqual(Array.from(t.toTypedArray() as Int32Array), e.values, `${label}/${name} integer values exactly`);
      assert.deepEqual(Array.from(f32), (e.values as number[]).map(Math.fround), `${label}/${name} as float32`);
    } else {
      assert.deepEqual(Array.from(f32), e.values, `${label}/${name} values`);
    }
  }
}

test('torch zip: every dtype, transposed and offset views, shared storages, scalars, empty tensors and parameters read exactly', () => {
  checkTensors(loadTorchFile(join(DIR, 'state-dict.pt')) as Record<string, unknown>, EXPECTED['state-dict.pt'], 'state-dict.pt');
});

test('a module state_dict() (an OrderedDict with _metadata given by BUILD) reads as its tensors', () => {
  checkTensors(loadTorchFile(join(DIR, 'module-state-dict.pt')) as Record<string, unknown>, EXPECTED['module-state-dict.pt'], 'module-state-dict.pt');
});

test('torch zip: shared storages stay shared; nothing is read until toFloat32', () => {
  // Load a copy, then change one storage's bytes on disk: toFloat32 sees the new bytes, so it reads late.
  const copy = join(mkdtempSync(join(tmpdir(), 'lazy-')), 'state-dict.pt');
  copyFileSync(join(DIR, 'state-dict.pt'), copy);
  const lazy = loadTorchFile(copy) as Record<string, TorchTensor>;
  const source = lazy.f32.storage.source as FileRangeSource;
  const fd = openSync(copy, 'r+');
  writeSync(fd, new Uint8Array(Float32Array.of(42).buffer), 0, 4, source.start + 4);
  closeSync(fd);
  assert.deepEqual(Array.from(lazy.f32.toFloat32().subarray(0, 3)), [-0.5, 42, -0.25]);
  assert.equal(lazy.transposed.toFloat32()[3], 42, 'the transposed view of the same storage too');

  const sd = loadTorchFile(join(DIR, 'state-dict.pt')) as Record<string, TorchTensor>;
  assert.equal(sd.shared_a.storage, sd.shared_b.storage);
  assert.equal(sd.f32.storage, sd.transposed.storage, 'a transposed view shares its base storage');
  assert.equal(sd.base.storage, sd.offset_view.storage);
  assert.equal(sd.transposed.isContiguous(), false);
  assert.equal(sd.offset_view.isContiguous(), true);
  // float16: 65504 is the largest half, 6e-8 rounds to the smallest subnormal 2^-24.
  assert.deepEqual(Array.from(sd.f16.toFloat32()).slice(3, 5), [65504, 2 ** -24]);
  assert.equal(Object.getPrototypeOf(sd), null, 'an OrderedDict becomes a null-prototype object');
});

test('torch zip: the folder name varies (torch.save to a buffer writes archive/), deflated entries and zip64 directories read the same', () => {
  checkTensors(loadTorchFile(join(DIR, 'buffer-saved.pt')) as Record<string, unknown>, EXPECTED['buffer-saved.pt'], 'buffer-saved.pt');
  checkTensors(loadTorchFile(join(DIR, 'deflated.pt')) as Record<string, unknown>, EXPECTED['state-dict.pt'], 'deflated.pt');
  checkTensors(loadTorchFile(join(DIR, 'zip64.pt')) as Record<string, unknown>, EXPECTED['state-dict.pt'], 'zip64.pt');
});

test('legacy torch.save (_use_new_zipfile_serialization=False) reads the same tensors', () => {
  const sd = loadTorchFile(join(DIR, 'legacy.pt')) as Record<string, TorchTensor>;
  checkTensors(sd, EXPECTED['legacy.pt'], 'legacy.pt');
  assert.equal(sd.shared_a.storage, sd.shared_b.storage);
});

test('legacy torch.save cut short: in the storages, or inside the pickle, is a clear "truncated"', () => {
  const whole = readFileSync(join(DIR, 'legacy.pt'));
  const dir = mkdtempSync(join(tmpdir(), 'legacy-cut-'));
  for (const [name, length, pattern] of [
    ['tail.pt', whole.length - 10, /tail\.pt: truncated: storage \d+ (starts past the end|needs \d+ bytes)/],
    ['middle.pt', 300, /middle\.pt: truncated: wanted \d+ bytes at offset \d+, the file has 300/],
  ] as const) {
    writeFileSync(join(dir, name), whole.subarray(0, length));
    assert.throws(() => loadTorchFile(join(dir, name)), (e: unknown) => e instanceof CheckpointFormatError && pattern.test(e.message));
  }
});

test('a fairseq-like checkpoint: cfg dicts, argparse.Namespace, omegaconf DictConfig, numpy scalars and arrays, plain Python values', () => {
  const root = loadTorchFile(join(DIR, 'fairseq-like.pt')) as Record<string, Record<string, unknown>>;
  const model = root.model as Record<string, TorchTensor>;
  const expected = Object.fromEntries(Object.entries(EXPECTED['fairseq-like.pt']).map(([k, v]) => [k.slice('model.'.length), v]));
  checkTensors(model, expected, 'fairseq-like.pt model');
  assert.deepEqual({ ...(root.cfg.model as object) }, { _name: 'hubert', encoder_layers: 2, conv_feature_layers: '[(512,10,5)] + [(512,3,2)] * 4', layer_norm_first: false, dropout: 0.1 });
  assert.deepEqual((root.cfg.task as Record<string, unknown>).labels, ['km']);
  assert.equal((root.cfg.task as Record<string, unknown>).sample_rate, 16000);
  const args = root.args;
  assert.deepEqual({ ...args }, { arch: 'hubert', encoder_embed_dim: 8, normalize: true, conv_bias: false });
  assert.equal((args as Record<symbol, unknown>)[PYTHON_CLASS], 'argparse.Namespace');
  const om = root.omegaconf_cfg as Record<string, Record<string, unknown>>;
  assert.deepEqual({ ...om.model }, { _name: 'wav2vec2', extractor_mode: 'layer_norm', layers: [1, 2] });
  assert.equal(om.missing, '???');
  const x = root.extra_state;
  assert.equal(x.epoch, 3);
  assert.equal(x.best, 0.25);
  assert.equal(x.np_f32, 1.5);
  assert.equal(x.np_i64, 2 ** 40);
  assert.equal(x.np_bool, true);
  const arr = x.np_array as TorchTensor;
  assert.deepEqual([arr.dtype, arr.shape], ['float32', [2, 3]]);
  assert.deepEqual(Array.from(arr.toFloat32()), [0, 1, 2, 3, 4, 5]);
  const fortran = x.np_fortran as TorchTensor;
  assert.deepEqual([fortran.dtype, fortran.shape], ['float64', [2, 3]]);
  assert.deepEqual(Array.from(fortran.toTypedArray() as Float64Array), [0, 1, 2, 3, 4, 5], 'a Fortran-order array in C order');
  assert.deepEqual(x.set, new Set([1, 2]));
  assert.deepEqual(x.tuple, [1, 'a']);
  assert.equal(x.big, 2n ** 70n);
  assert.equal(x.neg, -5);
  assert.equal(x.float, 0.1);
  assert.equal(x.none, null);
  assert.deepEqual(x.bytes, Uint8Array.from([0, 255]));
  assert.deepEqual(x.int_keys, new Map([[0, 'a'], [1, 'b']]));
  assert.equal(x.unicode, 'h\u00e9llo \u2713');
  assert.deepEqual({ ...(root.optimizer_history as unknown as Record<string, unknown>[])[0] }, { criterion_name: 'HubertCriterion', num_updates: 10 });
});

test('loadStateDict: finds the weights of a fairseq checkpoint, a bare state dict, a HF folder with pytorch_model.bin, and safetensors shards', () => {
  const fairseq = loadStateDict(join(DIR, 'fairseq-like.pt'));
  assert.deepEqual(Object.keys(fairseq.tensors), ['encoder.layers.0.fc1.weight', 'encoder.layers.0.fc1.bias', 'label_embs_concat']);
  assert.ok((fairseq.root as Record<string, unknown>).cfg, 'the root is the whole checkpoint');
  assert.equal(loadStateDict(join(DIR, 'state-dict.pt')).tensors.f32.shape.join(','), '3,4');
  const hf = mkdtempSync(join(tmpdir(), 'hf-bin-'));
  copyFileSync(join(DIR, 'buffer-saved.pt'), join(hf, 'pytorch_model.bin'));
  assert.deepEqual(Array.from(loadStateDict(hf).tensors.w.toFloat32()), [0, 1, 2, 3, 4]);
  assert.deepEqual(Object.keys(loadStateDict(join(DIR, 'sharded')).tensors).sort(), Object.keys(EXPECTED.sharded).sort());
  // A sharded pytorch_model.bin: the index maps each name to its .bin shard.
  const binShards = mkdtempSync(join(tmpdir(), 'hf-bin-shards-'));
  copyFileSync(join(DIR, 'buffer-saved.pt'), join(binShards, 'pytorch_model-00001-of-00002.bin'));
  copyFileSync(join(DIR, 'module-state-dict.pt'), join(binShards, 'pytorch_model-00002-of-00002.bin'));
  const weightMap = { w: 'pytorch_model-00001-of-00002.bin', ...Object.fromEntries(Object.keys(EXPECTED['module-state-dict.pt']).map((k) => [k, 'pytorch_model-00002-of-00002.bin'])) };
  writeFileSync(join(binShards, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: weightMap }));
  assert.deepEqual(Object.keys(loadStateDict(binShards).tensors).sort(), Object.keys(weightMap).sort());
  assert.deepEqual(Array.from(loadStateDict(binShards).tensors['0.bias'].toFloat32()), EXPECTED['module-state-dict.pt']['0.bias'].values);
  assert.throws(() => findStateDict({ epoch: 1, cfg: {} }, 'x.pt'), /x\.pt: no state dict .*top-level keys: epoch, cfg/);
  assert.throws(() => loadStateDict(mkdtempSync(join(tmpdir(), 'empty-'))), /no weights in this folder/);
});

/** Loads a hostile or broken file, expecting a CheckpointFormatError whose message names the file and matches. */
function refuses(name: string, pattern: RegExp): void {
  const file = join(DIR, name);
  assert.throws(
    () => loadTorchFile(file),
    (e: unknown) => {
      assert.ok(e instanceof CheckpointFormatError, `${name}: a CheckpointFormatError, got ${String(e)}`);
      assert.ok(e.message.startsWith(file), `${name}: the message starts with the file: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test('hostile pickles: a forbidden global is refused by name, nothing runs', () => {
  refuses('hostile-os-system.pt', /global os\.system, which is not on the allow-list/);
  refuses('hostile-builtins-eval.pt', /global builtins\.eval, which is not on the allow-list/);
  refuses('hostile-posix-system.pt', /global posix\.system/);
  refuses('hostile-subprocess.pt', /global subprocess\.Popen/);
  refuses('hostile-legacy.pt', /global os\.system/);
});

test('a big-endian archive (byteorder "big") reads in the order of this machine', () => {
  const sd = loadTorchFile(join(DIR, 'big-endian.pt')) as Record<string, TorchTensor>;
  assert.deepEqual(Array.from(sd.w.toFloat32()), [1.5, -2, 3.25, Math.fround(4e-3)]);
});

test('a pickled nn.Module is refused with the advice to save its state_dict', () => {
  refuses('pickled-module.pt', /global torch\.nn\.modules\.linear\.Linear, .*save its state_dict\(\) instead/);
});

test('a deflated entry claiming more than deflate can produce (a zip bomb) is refused before inflating', () => {
  const bytes = readFileSync(join(DIR, 'deflated.pt'));
  const name = Buffer.from('state-dict/data.pkl');
  // The central directory record of data.pkl: signature PK\x01\x02, its name at +46, the size at +24.
  let at = -1;
  for (let i = bytes.length - 46; i >= 0; i--) {
    if (bytes.readUInt32LE(i) === 0x02014b50 && bytes.subarray(i + 46, i + 46 + name.length).equals(name)) at = i;
  }
  assert.ok(at >= 0);
  bytes.writeUInt32LE(0xfffffff0, at + 24);
  const bomb = join(mkdtempSync(join(tmpdir(), 'bomb-')), 'bomb.pt');
  writeFileSync(bomb, bytes);
  assert.throws(() => loadTorchFile(bomb), /bomb\.pt: state-dict\/data\.pkl: claims 4294967280 bytes from \d+ compressed bytes/);
});

test('hostile pickles: an unknown opcode, or one outside the supported set, is named in hex with its offset', () => {
  refuses('hostile-unknown-opcode.pt', /data\.pkl: unknown or unsupported pickle opcode 0xa0 at byte 3/);
  refuses('hostile-ext1.pt', /opcode 0x82 at byte 3/);
});

test('broken files: truncated, not a checkpoint, a foreign zip, a missing or short storage, a view past its storage', () => {
  refuses('truncated.pt', /truncated/);
  refuses('not-a-checkpoint.pt', /not a PyTorch checkpoint/);
  refuses('plain-zip.pt', /a zip file but not a torch\.save checkpoint.*notes\/readme\.txt/);
  refuses('missing-storage.pt', /storage 0, but the archive has no entry state-dict\/data\/0/);
  refuses('short-storage.pt', /entry state-dict\/data\/0 holds 4 bytes, but the pickle says 12 float32 elements \(48 bytes\)/);
  refuses('bad-extent.pt', /archive\/data\/0: a float32 tensor of shape \[5\] .* needs 5 elements of its storage, which holds 4/);
  assert.throws(() => loadTorchFile(join(DIR, 'no-such.pt')), /no-such\.pt: cannot read/);
  assert.throws(() => loadTorchFile(join(DIR, 'sharded', 'model-00001-of-00002.safetensors')), /a safetensors file, not a torch\.save file/);
});
