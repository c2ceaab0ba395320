import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeNpy } from '../../src/util/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { pcaProject } from '../../src/report/pca.ts';
import { niceTicks } from '../../src/report/svg.ts';
import { emaSmooth } from '../../src/report/smoothing.ts';
import { metricCharts } from '../../src/report/metric-charts.ts';
import { thinPoints } from '../../src/report/line-chart.ts';
import { cliPath } from '../helpers/paths.ts';

function fakeRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ step: i + 1, lr: 1e-3 * Math.min(1, (i + 1) / 10), loss: 5 * Math.exp(-i / 20), 'hubert/acc_masked': i / 60 }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  mkdirSync(join(dir, 'report'));
  writeFileSync(join(dir, 'report/clusters.json'), JSON.stringify({ counts: [5, 0, 12, 7] }));
  const rng = new Rng(3);
  const emb = new Float32Array(40 * 8);
  const labels: string[] = [];
  for (let i = 0; i < 40; i++) {
    labels.push(i % 2 ? 'a' : 'b');
    for (let d = 0; d < 8; d++) emb[i * 8 + d] = rng.normal() + (i % 2) * 4;
  }
  writeNpy(join(dir, 'report/embeddings.npy'), emb, [40, 8]);
  writeFileSync(join(dir, 'report/embeddings.json'), JSON.stringify({ labels }));
  writeNpy(join(dir, 'report/example.npy'), rng.normalArray(30 * 10), [30, 10]);
  writeFileSync(join(dir, 'report/example.json'), JSON.stringify({ name: 'x.wav', ids: Array.from({ length: 30 }, (_, i) => Math.floor(i / 5)) }));
  return dir;
}

test('report CLI writes one self-contained HTML page of inline SVG charts with text, axes and legends', () => {
  const dir = fakeRun();
  const r = spawnSync(cliPath, ['report', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /report\.html \(6 charts\)/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(!/(src|href)="(?!data:|#)/.test(html), 'no external resources (only data: URLs)');
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!html.includes('http-equiv="refresh"'), 'no reload outside training');
  const svgs = [...html.matchAll(/<svg[^>]*aria-label="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)];
  assert.deepEqual(svgs.map((m) => m[1]), ['Loss', 'Accuracy', 'Learning rate', 'Cluster usage (3 of 4 ids used)', 'Embeddings: first two principal components', 'Log-mel spectrogram: x.wav']);
  for (const [, title, body] of svgs) {
    assert.ok(body.includes(`<text class="title"`), `${title}: a title as text`);
    if (!title.startsWith('Log-mel')) assert.ok((body.match(/class="tick"/g) ?? []).length >= 4, `${title}: tick labels`);
    assert.ok((body.match(/class="axis-label"/g) ?? []).length >= 2, `${title}: axis labels`);
  }
  const pca = svgs[4][2];
  assert.deepEqual([...pca.matchAll(/class="legend-entry">.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]), ['a', 'b']);
  assert.equal((pca.match(/<circle/g) ?? []).length, 40 + 2, '40 points and 2 legend dots');
  assert.match(svgs[5][2], /<image href="data:image\/png;base64,/);
  assert.equal((svgs[3][2].match(/<title>id \d+: \d+<\/title>/g) ?? []).length, 3, 'one bar per used cluster id');
});

test('metric charts: identical series drawn once under all their names; validation paired with training; smoothing is TensorBoard\'s', () => {
  const rows = [1, 2, 3].flatMap((step) => [
    { step, split: 'train', loss: 3 / step, 'hubert/loss': 3 / step, 'hubert/loss_masked': (3 / step) * (1 + 1e-8), 'hubert/loss_unmasked': 1 / step, lr: step * 1e-4, epoch: 0, tensors: 0 },
    { step, split: 'valid', 'valid/loss': 4 / step, 'valid/hubert/loss': 4 / step, 'valid/hubert/loss_unmasked': 2 },
  ]);
  const charts = metricCharts(rows);
  assert.deepEqual(charts.map((c) => c.title), ['Loss', 'Learning rate'], 'epoch and tensors are left to TensorBoard');
  const loss = charts[0].series;
  assert.deepEqual(loss.map((s) => [s.label, s.split]), [
    ['loss = hubert/loss = hubert/loss_masked (train)', 'train'],
    ['loss = hubert/loss (valid)', 'valid'],
    ['hubert/loss_unmasked (train)', 'train'],
    ['hubert/loss_unmasked (valid)', 'valid'],
  ]);
  assert.equal(loss[0].color, loss[1].color, 'a validation series takes its training series colour');
  assert.notEqual(loss[0].color, loss[2].color);
  assert.deepEqual(loss[3].y, [2, 2, 2]);
  assert.deepEqual(charts[1].series.map((s) => s.label), ['lr']);
  // Debiased EMA, by hand for w = 0.5: 1, (0.25 + 1) / 0.75, (0.625 + 1.5) / 0.875; NaN passes through.
  const sm = emaSmooth([1, 2, NaN, 3], 0.5);
  assert.deepEqual(sm.map((v) => Number(v.toFixed(6))), [1, 1.666667, NaN, 2.428571]);
  assert.deepEqual(emaSmooth([4, 5], 0), [4, 5]);
  // A long series is thinned for drawing, keeping both ends and each run's extremes (a spike stays).
  const x = Array.from({ length: 10000 }, (_, i) => i + 1);
  const y = x.map((i) => (i === 5001 ? 50 : Math.sin(i / 300)));
  const t = thinPoints(x, y, 1000);
  assert.ok(t.x.length <= 1002 && t.x.length >= 900, `${t.x.length} points`);
  assert.deepEqual([t.x[0], t.x.at(-1)], [1, 10000]);
  assert.ok(t.y.includes(50), 'the spike is kept');
  assert.deepEqual(t.x, [...t.x].sort((a, b) => a - b));
  assert.throws(() => emaSmooth([1], 1), /\[0, 1\)/);
});

test('report of an empty folder is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-empty-'));
  const r = spawnSync(cliPath, ['report', dir], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nothing to report/);
});

test('pca finds the direction of largest variance; ticks are nice', () => {
  const rng = new Rng(1);
  const n = 200;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = rng.normal() * 10;
    data[i * 3] = t;
    data[i * 3 + 1] = t;
    data[i * 3 + 2] = rng.normal() * 0.1;
  }
  const p = pcaProject(data, n, 3, 2);
  let mx = 0;
  for (let i = 0; i < n; i++) mx += (data[i * 3] + data[i * 3 + 1]) / n;
  // PC1 ~ (x + y)/sqrt2 (centred) up to sign
  for (let i = 0; i < n; i += 17) {
    const expected = Math.abs((data[i * 3] + data[i * 3 + 1] - mx) / Math.SQRT2);
    assert.ok(Math.abs(Math.abs(p[i * 2]) - expected) < 0.05, `row ${i}: ${p[i * 2]} vs ${expected}`);
  }
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 47), [10, 20, 30, 40]);
});

test('report --embeddings/--km/--example collects the artifacts from features and labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-collect-'));
  const run = join(dir, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'metrics.jsonl'), JSON.stringify({ step: 1, loss: 2 }) + '\n' + JSON.stringify({ step: 2, loss: 1 }) + '\n');
  const feats = join(dir, 'feats');
  mkdirSync(feats);
  const rng = new Rng(5);
  const names: string[] = [];
  const kmLines: string[] = [];
  for (let u = 0; u < 12; u++) {
    const digit = u % 3;
    const name = `${digit}_spk${u % 2}_${u}`;
    names.push(name);
    const frames = 5 + u;
    const x = new Float32Array(frames * 4);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal() + digit * 3;
    writeNpy(join(feats, `${name}.npy`), x, [frames, 4]);
    kmLines.push(Array.from({ length: frames }, (_, t) => (t + u) % 6).join(' '));
  }
  // the .km follows the folder's (sorted) utterance order
  const order = names.map((n, i) => [n, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  writeFileSync(join(dir, 'train.km'), order.map(([, i]) => kmLines[i]).join('\n') + '\n');
  const r = spawnSync(cliPath, ['report', run, '--embeddings', feats, '--km', join(dir, 'train.km'), '--k', '8', '--example', feats], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const emb = JSON.parse(readFileSync(join(run, 'report/embeddings.json'), 'utf8')) as { labels: string[] };
  assert.deepEqual(emb.labels, order.map(([n]) => n.split('_')[0]));
  const { counts } = JSON.parse(readFileSync(join(run, 'report/clusters.json'), 'utf8')) as { counts: number[] };
  assert.equal(counts.length, 8);
  assert.equal(counts.reduce((a, b) => a + b, 0), names.reduce((a, _, u) => a + 5 + u, 0));
  assert.equal(counts[6] + counts[7], 0);
  const ex = JSON.parse(readFileSync(join(run, 'report/example.json'), 'utf8')) as { name: string; ids: number[] };
  assert.equal(ex.name, order[0][0]);
  assert.deepEqual(ex.ids, kmLines[order[0][1]].split(' ').map(Number));
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  for (const id of ['loss', 'clusters', 'pca', 'example']) assert.ok(html.includes(`<figure id="chart-${id}">`), id);
});
