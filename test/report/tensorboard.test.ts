import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { crc32c, maskedCrc32c } from '../../src/report/crc32c.ts';
import { frameRecord, readRecords } from '../../src/report/tfrecord.ts';
import { fileVersionEvent } from '../../src/report/event-proto.ts';
import { EventFileWriter, dropEventsAfter, eventFiles } from '../../src/report/tensorboard-writer.ts';
import { TrainingView } from '../../src/report/training-view.ts';
import { Args } from '../../src/util/args.ts';
import trainCommand, { runTrain } from '../../src/cli/commands/train.ts';
import { useBackend } from '../train/fixtures/backend.ts';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from '../train/fixtures/tiny.ts';
import { readEventFile, type ReadEvent } from '../helpers/tfevents-reader.ts';
import { cliPath } from '../helpers/paths.ts';

test('CRC-32C matches the published check values (RFC 3720 B.4, "123456789")', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // TensorFlow's mask: rotate right by 15, add 0xa282ead8.
  const c = 0xe3069283;
  assert.equal(maskedCrc32c(Buffer.from('123456789')), (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
  // The checksum of a record of a real TensorFlow event file, Event(file_version="CRC test, one two"),
  // as TensorBoard's own reader quotes it (tensorboard/data/server/masked_crc.rs).
  assert.equal(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1')), 0x5794d08a);
});

test('the file_version event encodes as TensorFlow writes it: wall_time (field 1, double), then field 3 "brain.Event:2"', () => {
  const bytes = Buffer.from(fileVersionEvent(1.5));
  const expected = Buffer.concat([Buffer.from([0x09]), Buffer.from(new Float64Array([1.5]).buffer), Buffer.from('\x1a\x0dbrain.Event:2', 'latin1')]);
  assert.deepEqual(bytes, expected);
});

test('TFRecord framing: records read back; a corrupt byte is an error naming the file; a cut-off tail is reported', () => {
  const recs = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world, a longer record')];
  const bytes = Buffer.concat(recs.map((r) => frameRecord(r)));
  assert.equal(bytes.length, recs.reduce((a, r) => a + 16 + r.length, 0));
  assert.equal(bytes.readBigUInt64LE(0), 1n);
  const back = readRecords(bytes, 'x.tfevents');
  assert.deepEqual(back.records.map((r) => r.toString()), recs.map((r) => r.toString()));
  assert.equal(back.trailing, 0);
  assert.equal(readRecords(bytes.subarray(0, bytes.length - 5), 'x').trailing, 16 + recs[2].length - 5);
  const bad = Buffer.from(bytes);
  bad[bytes.length - 8] ^= 1;
  assert.throws(() => readRecords(bad, 'x.tfevents'), /x\.tfevents: record at byte 33: the payload's CRC-32C does not match/);
  const badLen = Buffer.from(bytes);
  badLen[0] ^= 4;
  assert.throws(() => readRecords(badLen, 'x.tfevents'), /record at byte 0: the length's CRC-32C/);
});

function eventsIn(dir: string): ReadEvent[] {
  return eventFiles(dir).flatMap((f) => readEventFile(f));
}
function summaries(dir: string): ReadEvent[] {
  return eventsIn(dir).filter((e) => e.values.length > 0);
}
type Row = Record<string, number | string>;
function metricRows(run: string): Row[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
}

/** Every numeric field of each metrics.jsonl row of `split` is a scalar of the event at its step, in float32. */
function assertMatchesMetrics(run: string, split: 'train' | 'valid'): void {
  const rows = metricRows(run).filter((r) => r.split === split);
  const events = summaries(join(run, 'tb', split));
  assert.deepEqual(events.map((e) => e.step), rows.map((r) => r.step), `${split} steps`);
  rows.forEach((row, i) => {
    const expected = Object.entries(row)
      .filter(([k, v]) => k !== 'step' && typeof v === 'number')
      .map(([k, v]) => [k.replace(/^valid\//, ''), Math.fround(v as number)]);
    assert.deepEqual(events[i].values.map((v) => [v.tag, v.simpleValue]), expected, `${split} step ${row.step}`);
  });
}

test('a short real training run writes TensorBoard events (train and valid) that read back as metrics.jsonl; a resumed run drops what came after its checkpoint', async () => {
  await useBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'tb-train-'));
  writeTinyShard(join(dir, 'feats'), 'train', 16, 3, 1);
  writeTinyShard(join(dir, 'feats'), 'valid', 4, 3, 2);
  const config = join(dir, 'run.yaml');
  writeFileSync(config, stringify(tinyRunConfig('feats', { train: { maxSteps: 6, updateFreq: 1, logEvery: 2, validEvery: 3, checkpointEvery: 3 } })));
  const out = join(dir, 'run');
  const deps = { buildEncoder: buildTinyEncoder, methods: TINY_METHODS };
  const args = (...a: string[]) => new Args(a, trainCommand.booleanFlags);
  assert.equal(await runTrain(args('--config', config, '--out', out, '--backend', 'cpu', '--no-progress'), deps), 0);

  const trainFiles = eventFiles(join(out, 'tb/train'));
  assert.equal(trainFiles.length, 1);
  assert.match(trainFiles[0], /events\.out\.tfevents\.\d{10}\.[^/]+$/);
  const first = readEventFile(trainFiles[0])[0];
  assert.equal(first.fileVersion, 'brain.Event:2', 'file_version event first');
  assert.ok(Math.abs(first.wallTime! - Date.now() / 1000) < 600);
  assertMatchesMetrics(out, 'train');
  assertMatchesMetrics(out, 'valid');
  const tags = summaries(join(out, 'tb/train'))[0].values.map((v) => v.tag);
  for (const t of ['loss', 'next-frame/loss', 'ema/loss', 'lr', 'grad_norm', 'steps_per_s', 'epoch']) assert.ok(tags.includes(t), `train tag ${t} in ${tags.join(', ')}`);
  assert.deepEqual(summaries(join(out, 'tb/valid')).map((e) => e.step), [3, 6]);
  assert.ok(summaries(join(out, 'tb/valid'))[0].values.some((v) => v.tag === 'loss'), 'valid/loss is tag loss in tb/valid');
  const lr = summaries(join(out, 'tb/train')).map((e) => e.values.find((v) => v.tag === 'lr')!.simpleValue!);
  assert.ok(lr[0] > 0 && lr[2] < lr[0], `the schedule shows in lr: ${lr.join(', ')}`);

  // A run killed after step 6 but before its checkpoint: the last checkpoint is step 3.
  rmSync(join(out, 'checkpoints/step-000000006'), { recursive: true });
  assert.equal(await runTrain(args('--out', out, '--resume', '--max-steps', '8', '--backend', 'cpu', '--no-progress'), deps), 0);
  assert.equal(eventFiles(join(out, 'tb/train')).length, 2, 'the resumed run writes a new file');
  assert.deepEqual(summaries(join(out, 'tb/train')).map((e) => e.step), [2, 4, 6, 8]);
  assertMatchesMetrics(out, 'train');
  assertMatchesMetrics(out, 'valid');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(!html.includes('http-equiv="refresh"'), 'the final page does not reload itself');
});

test('dropEventsAfter keeps the events up to a step and drops a record cut short', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-drop-'));
  const w = new EventFileWriter(dir, { now: () => 1700000000.5 });
  for (let s = 1; s <= 5; s++) w.write(s, [{ tag: 'x', scalar: s / 2 }]);
  w.close();
  appendFileSync(w.path, frameRecord(Buffer.from('half')).subarray(0, 10));
  assert.throws(() => readEventFile(w.path), /trailing bytes|cut short/);
  dropEventsAfter(dir, 3);
  const ev = readEventFile(w.path);
  assert.equal(ev[0].fileVersion, 'brain.Event:2');
  assert.equal(ev[0].wallTime, 1700000000.5);
  assert.deepEqual(ev.slice(1).map((e) => [e.step, e.values[0].tag, e.values[0].simpleValue]), [[1, 'x', 0.5], [2, 'x', 1], [3, 'x', 1.5]]);
  dropEventsAfter(dir, 0);
  assert.deepEqual(readdirSync(dir), [], 'a file left with no values is removed');
});

test('TrainingView rewrites a reloading report.html at each validation row', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-view-'));
  const view = new TrainingView(dir, { title: 'live', reportEverySeconds: 3600 });
  view.startAt(0);
  view.log({ step: 1, split: 'train', loss: 2, lr: 0.1 });
  assert.throws(() => readFileSync(join(dir, 'report.html')), /ENOENT/, 'not on a training row within the interval');
  writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ step: 1, split: 'train', loss: 2, lr: 0.1 }) + '\n' + JSON.stringify({ step: 1, split: 'valid', 'valid/loss': 2.5 }) + '\n');
  view.log({ step: 1, split: 'valid', 'valid/loss': 2.5 });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<meta http-equiv="refresh" content="30">/);
  assert.match(html, /loss \(valid\)/);
  view.close();
  assert.deepEqual(summaries(join(dir, 'tb/valid')).map((e) => [e.step, e.values]), [[1, [{ tag: 'loss', simpleValue: 2.5 }]]]);
});

test('speech-ssl report writes the cluster usage as a TensorBoard histogram at the last step (replaced on a rerun)', () => {
  const run = mkdtempSync(join(tmpdir(), 'tb-hist-'));
  writeFileSync(join(run, 'metrics.jsonl'), JSON.stringify({ step: 40, split: 'train', loss: 1 }) + '\n');
  mkdirSync(join(run, 'report'));
  const counts = [5, 0, 12, 7];
  writeFileSync(join(run, 'report/clusters.json'), JSON.stringify({ counts }));
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(cliPath, ['report', run], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const files = eventFiles(join(run, 'tb/train'));
  assert.equal(files.length, 1);
  const ev = readEventFile(files[0]);
  assert.equal(ev[0].fileVersion, 'brain.Event:2');
  assert.equal(ev[1].step, 40);
  const h = ev[1].values[0];
  assert.equal(h.tag, 'cluster_usage');
  assert.deepEqual(h.histo, { min: 0, max: 3, num: 24, sum: 0 * 5 + 2 * 12 + 3 * 7, sumSquares: 4 * 12 + 9 * 7, bucketLimit: [0.5, 1.5, 2.5, 3.5], bucket: counts });
});
