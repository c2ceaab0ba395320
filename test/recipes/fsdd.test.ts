import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../helpers/audio-files.ts';
import { toneSegments } from './fake-corpora.ts';
import { kmCounts, lines, ranStages, runRecipe, shardLengths } from './run-recipe.ts';

/** FSDD's layout: {digit}_{speaker}_{take}.wav at 8 kHz; a digit is a tone pair, a speaker shifts the pitch. */
function writeFakeFsdd(root: string): number {
  mkdirSync(root, { recursive: true });
  const digits: [number, number][] = [[300, 1200], [700, 900], [450, 2600], [1000, 1500]];
  const speakers = ['ann', 'bob', 'cyd'];
  let seed = 1, n = 0;
  digits.forEach(([a, b], d) => speakers.forEach((spk, s) => {
    for (let take = 0; take < 5; take++, n++) {
      const p = 0.9 + 0.1 * s + 0.01 * take;
      const x = toneSegments([[60, 80, 800], [a * p, b * p, 3200 + 400 * take], [60, 80, 800]], seed++);
      writeFileSync(join(root, `${d}_${spk}_${take}.wav`), encodeWav({ sampleRate: 8000, channels: [x], format: 'pcm16' }));
    }
  }));
  return n;
}

test('recipes/fsdd: speed and VTLN copies join the training split with their labels; stage 10 probes a transformer layer by layer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-fsdd-'));
  const data = join(dir, 'recordings'), exp = join(dir, 'exp');
  const files = writeFakeFsdd(data);
  const common = ['--data', data, '--exp', exp, '--speed', '1.1', '--vtln', '0.9'];
  const r = await runRecipe('fsdd', [...common, '--stop-stage', '4']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(ranStages(r.output), [0, 1, 2, 3, 4]);

  const train = lines(join(exp, 'data/train.tsv')).length - 1;
  assert.equal(train + lines(join(exp, 'data/valid.tsv')).length - 1, files);
  // Rank 0 is the original split, then one shard per copy (speed 1.1: fewer frames; VTLN: as many).
  const original = shardLengths(join(exp, 'fbank'), 'train', 1);
  const augmented = shardLengths(join(exp, 'fbank_aug'), 'train', 3);
  assert.equal(augmented.length, 3 * train);
  assert.deepEqual(augmented.slice(0, train), original);
  const speed = augmented.slice(train, 2 * train), vtln = augmented.slice(2 * train);
  assert.ok(speed.every((f, i) => f < original[i] && f >= Math.floor(original[i] / 1.1) - 2), `speed 1.1 frames ${speed} against ${original}`);
  assert.deepEqual(vtln, original);
  // One label line per utterance of the joined split, as long as its frames (MFCC and fbank share the 10 ms shift).
  assert.deepEqual(kmCounts(join(exp, 'labels1_aug/train.km')), augmented);
  assert.match(r.output, new RegExp(`training split with copies \\(speed:1.1 vtln:0.9\\): ${3 * train} utterances`));

  const s10 = await runRecipe('fsdd', [...common, '--stage', '10', '--stop-stage', '10', '--methods', 'wav2vec2', '--steps', '20']);
  assert.equal(s10.code, 0, s10.output);
  assert.deepEqual(ranStages(s10.output), [10]);
  const probe = JSON.parse(readFileSync(join(exp, 'probe/s10_wav2vec2_20.json'), 'utf8')) as { layers: number[]; rows: { features: string; pool: string; folds: unknown[]; mean: { probe: number } }[] };
  assert.deepEqual(probe.layers, [0, 1, 2, 3], 'every hidden state of the 3-layer transformer');
  assert.deepEqual(probe.rows.map((row) => `${row.features} ${row.pool}`), ['mean', 'mean+std'].flatMap((p) => [0, 1, 2, 3].map((l) => `layer ${l} ${p}`)));
  for (const row of probe.rows) {
    assert.equal(row.folds.length, 3, 'leave one of three speakers out');
    assert.ok(row.mean.probe >= 0 && row.mean.probe <= 1);
  }
  assert.match(s10.output, /probe s10_wav2vec2_20: layer 0: mean \d+\.\d% \/ mean\+std \d+\.\d%; layer 1: .*; layer 3: mean \d+\.\d% \/ mean\+std \d+\.\d%/);

  // --teacher names the distill methods' teacher run: here the wav2vec 2.0 run just trained, distilled into
  // its first two blocks and probed at every hidden state of the 2-block student.
  const teacher = join(exp, 'stage10/20/wav2vec2');
  const d = await runRecipe('fsdd', [...common, '--stage', '10', '--stop-stage', '10', '--methods', 'distill-wav2vec2', '--steps', '20', '--teacher', teacher]);
  assert.equal(d.code, 0, d.output);
  assert.deepEqual(ranStages(d.output), [10], 'a method stage 10 has not run reopens the stage');
  const run = JSON.parse(readFileSync(join(exp, 'stage10/20/distill-wav2vec2/config.json'), 'utf8')) as { methods: { config: { teacher: string } }[] };
  assert.equal(run.methods[0].config.teacher, teacher);
  const dprobe = JSON.parse(readFileSync(join(exp, 'probe/s10_distill-wav2vec2_20.json'), 'utf8')) as { layers: number[] };
  assert.deepEqual(dprobe.layers, [0, 1, 2], 'every hidden state of the 2-block student');
  assert.match(d.output, /probe s10_distill-wav2vec2_20: layer 0: .*; layer 2: mean \d+\.\d% \/ mean\+std \d+\.\d%/);

  // A teacher that does not exist, or one with no distill method to use it, is refused before any stage runs.
  const missing = await runRecipe('fsdd', [...common, '--stage', '10', '--methods', 'distill-wav2vec2', '--teacher', join(dir, 'no-such-run')]);
  assert.equal(missing.code, 2);
  assert.match(missing.output, /--teacher .*no-such-run: no such run or checkpoint folder/);
  const unused = await runRecipe('fsdd', [...common, '--stage', '10', '--methods', 'wav2vec2', '--teacher', teacher]);
  assert.equal(unused.code, 2);
  assert.match(unused.output, /--teacher names the teacher of a distill method, but --methods \(wav2vec2\) has none/);
  const noValue = await runRecipe('fsdd', [...common, '--stage', '10', '--methods', 'distill-wav2vec2', '--teacher']);
  assert.equal(noValue.code, 2);
  assert.match(noValue.output, /option --teacher needs a value/);
  assert.doesNotMatch(missing.output + unused.output, /== stage/);
});
