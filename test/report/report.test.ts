import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { writeNpy } from '../../src/util/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { pcaProject } from '../../src/report/pca.ts';
import { niceTicks } from '../../src/report/plots.ts';
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

test('report CLI writes an offline HTML page referencing decodable PNG plots', () => {
  const dir = fakeRun();
  const r = spawnSync(cliPath, ['report', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const imgs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(imgs.sort(), ['accuracy.png', 'clusters.png', 'example.png', 'loss.png', 'lr.png', 'pca.png']);
  assert.ok(!/https?:\/\//.test(html), 'no external resources');
  for (const f of imgs) {
    const png = PNG.sync.read(readFileSync(join(dir, f)));
    assert.ok(png.width >= 300 && png.height >= 200, f);
    // a plot is not blank: it has many non-white pixels and more than two colours
    let ink = 0;
    const colours = new Set<number>();
    for (let i = 0; i < png.width * png.height; i++) {
      const [r, g, b] = [png.data[i * 4], png.data[i * 4 + 1], png.data[i * 4 + 2]];
      if (r + g + b < 700) ink++;
      colours.add((r << 16) | (g << 8) | b);
    }
    assert.ok(ink > 500, `${f} has ink`);
    assert.ok(colours.size > 3, `${f} has colours`);
  }
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
  for (const png of ['loss.png', 'clusters.png', 'pca.png', 'example.png']) assert.ok(html.includes(`src="${png}"`), png);
});
