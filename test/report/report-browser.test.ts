import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { writeNpy } from '../../src/util/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { writeRunReport } from '../../src/report/run-report.ts';
import { runChromium } from '../helpers/chromium.ts';

/**
 * The report page as a browser draws it: headless Chromium loads it, takes a screenshot, and a script
 * added to a copy of the page (never to the real one, which has no scripts) measures every text box.
 */
const LONG = 'a_method_registered_under_an_extraordinarily_long_key_for_this_test/acc_masked_over_every_frame_of_the_batch';
const LONG_NAME = 'speaker_with_a_very_long_name/session_2019_11_04/utterance_000123_take_2_cleaned_and_trimmed_by_hand_again.wav';

function run(): string {
  const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
  const rng = new Rng(4);
  const rows: object[] = [];
  for (let s = 5; s <= 600; s += 5) {
    const l = 4 * Math.exp(-s / 200) + 1 + 0.2 * rng.normal();
    const row: Record<string, unknown> = { step: s, split: 'train', epoch: Math.floor(s / 100), loss: l, 'hubert/loss': l, 'hubert/loss_masked': l, lr: 1e-3 * Math.min(1, s / 50), grad_norm: 2 + rng.normal(), steps_per_s: 3, tensors: 0 };
    for (let k = 0; k < 6; k++) row[`method_with_a_long_name_${k}/acc_masked`] = (1 - Math.exp(-s / (100 + 40 * k))) * 0.9;
    row['wav2vec2/code_perplexity'] = 100 + 20 * Math.sin(s / 50);
    row[LONG] = 0.5 + 0.3 * Math.sin(s / 80);
    rows.push(row);
    if (s % 100 === 0) {
      const v = 4 * Math.exp(-s / 200) + 1.3;
      rows.push({ step: s, split: 'valid', 'valid/loss': v, 'valid/hubert/loss': v, 'valid/hubert/loss_masked': v, 'valid/method_with_a_long_name_0/acc_masked': 0.5 });
    }
  }
  writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  mkdirSync(join(dir, 'report'));
  writeFileSync(join(dir, 'report/clusters.json'), JSON.stringify({ counts: Array.from({ length: 50 }, (_, i) => (i % 9 === 4 ? 0 : 100 + 37 * i)) }));
  const n = 120;
  const emb = new Float32Array(n * 6);
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(`speaker_${String.fromCharCode(65 + (i % 12))}`);
    for (let d = 0; d < 6; d++) emb[i * 6 + d] = rng.normal() + (i % 12) * (d % 2);
  }
  writeNpy(join(dir, 'report/embeddings.npy'), emb, [n, 6]);
  writeFileSync(join(dir, 'report/embeddings.json'), JSON.stringify({ labels }));
  writeNpy(join(dir, 'report/example.npy'), rng.normalArray(80 * 24), [80, 24]);
  writeFileSync(join(dir, 'report/example.json'), JSON.stringify({ name: LONG_NAME, ids: Array.from({ length: 80 }, (_, i) => (Math.floor(i / 4) * 7) % 50) }));
  writeRunReport(dir, 'speech-ssl train exp/fsdd/hubert1');
  return dir;
}

/** Runs in the copy of the page: every SVG text box against its SVG, legend and tick overlaps, the smoothing switch. */
const PROBE = `<script>
addEventListener('load', () => {
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const box = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const s = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')];
    const overflowing = texts.filter((t) => !inside(t.getBoundingClientRect(), s)).map((t) => t.textContent);
    const empty = texts.filter((t) => t.getBoundingClientRect().width <= 0).map((t) => t.textContent);
    const groups = [[...svg.querySelectorAll('.legend-entry')], [...svg.querySelectorAll('text.tick')], [...svg.querySelectorAll('text.title, text.axis-label')]];
    const overlaps = [];
    for (const g of groups) for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++)
      if (overlap(g[i].getBoundingClientRect(), g[j].getBoundingClientRect())) overlaps.push(g[i].textContent + ' / ' + g[j].textContent);
    const shown = (t) => [...t.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join('');
    return { title: svg.getAttribute('aria-label'), shownTitle: shown(svg.querySelector('text.title')), legend: [...svg.querySelectorAll('.legend-entry text')].map(shown), overflowing, empty, overlaps, width: s.width, svg: box(s) };
  });
  const visible = () => [...document.querySelectorAll('path.smoothed')].filter((p) => getComputedStyle(p).display !== 'none').length;
  const smoothedBefore = visible();
  const rawOpacityBefore = document.querySelector('path.raw') ? getComputedStyle(document.querySelector('path.raw')).strokeOpacity : null;
  document.getElementById('smooth').click();
  const smoothedAfter = visible();
  const rawOpacityAfter = document.querySelector('path.raw') ? getComputedStyle(document.querySelector('path.raw')).strokeOpacity : null;
  const out = { charts, pageOverflow: document.documentElement.scrollWidth > innerWidth, h1: document.querySelector('h1').textContent, smoothedBefore, smoothedAfter, rawOpacityBefore, rawOpacityAfter };
  const pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.append(pre);
});
</script>`;

interface Probe {
  charts: { title: string; shownTitle: string; legend: string[]; overflowing: string[]; empty: string[]; overlaps: string[]; width: number }[];
  pageOverflow: boolean;
  h1: string;
  smoothedBefore: number;
  smoothedAfter: number;
  rawOpacityBefore: string | null;
  rawOpacityAfter: string | null;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

test('report.html in headless Chromium: screenshot, titles, legend entries, no text outside its chart or on other text', (t) => {
  const dir = run();
  t.diagnostic(`page: ${join(dir, 'report.html')}, screenshot: ${join(dir, 'report.png')}`);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const probePage = join(dir, 'probe.html');
  writeFileSync(probePage, html.replace('</body>', `${PROBE}</body>`));
  const dom = runChromium(pathToFileURL(probePage).href, ['--window-size=900,1200', '--virtual-time-budget=5000', '--dump-dom']);
  const m = /<pre id="layout-check">([\s\S]*?)<\/pre>/.exec(dom);
  assert.ok(m, `the probe ran (dump: ${dom.slice(0, 300)})`);
  const p = JSON.parse(unescape(m[1])) as Probe;

  assert.equal(p.h1, 'speech-ssl train exp/fsdd/hubert1');
  assert.deepEqual(p.charts.map((c) => c.title), [
    'Loss', 'Accuracy', 'Learning rate', 'Gradient norm (before clipping)', 'Training speed', 'wav2vec2/code_perplexity',
    'Cluster usage (44 of 50 ids used)', 'Embeddings: first two principal components', `Log-mel spectrogram: ${LONG_NAME}`,
  ]);
  const byTitle = new Map(p.charts.map((c) => [c.title, c]));
  const longTitle = byTitle.get(`Log-mel spectrogram: ${LONG_NAME}`)!.shownTitle;
  assert.ok(longTitle.startsWith('Log-mel spectrogram: speaker_with') && longTitle.length >= 80, `a title too long for its chart is shortened only as far as it must be: ${longTitle}`);
  assert.deepEqual(byTitle.get('Loss')!.legend, ['loss = hubert/loss = hubert/loss_masked (train)', 'loss = hubert/loss = hubert/loss_masked (valid)']);
  const acc = byTitle.get('Accuracy')!.legend;
  assert.equal(acc.length, 8);
  assert.equal(acc[7], `${LONG} (train)`, 'a long legend entry is drawn whole, in a smaller font');
  assert.deepEqual(acc.slice(0, 2), ['method_with_a_long_name_0/acc_masked (train)', 'method_with_a_long_name_0/acc_masked (valid)']);
  assert.deepEqual(byTitle.get('Embeddings: first two principal components')!.legend, Array.from({ length: 12 }, (_, i) => `speaker_${String.fromCharCode(65 + i)}`));
  for (const c of p.charts) {
    assert.deepEqual(c.overflowing, [], `${c.title}: text outside the chart`);
    assert.deepEqual(c.empty, [], `${c.title}: text drawn with no width`);
    assert.deepEqual(c.overlaps, [], `${c.title}: overlapping labels`);
    assert.ok(c.width >= 700, `${c.title}: drawn ${c.width} px wide`);
  }
  assert.equal(p.pageOverflow, false, 'no horizontal scrolling');
  // The smoothing switch (CSS only): on, the averages show and the raw values are faint; off, raw values only.
  assert.ok(p.smoothedBefore >= 4, `${p.smoothedBefore} smoothed curves`);
  assert.equal(p.smoothedAfter, 0);
  assert.equal(p.rawOpacityBefore, '0.25');
  assert.equal(p.rawOpacityAfter, '1');

  const shot = join(dir, 'report.png');
  runChromium(pathToFileURL(join(dir, 'report.html')).href, ['--window-size=900,1400', `--screenshot=${shot}`]);
  const png = PNG.sync.read(readFileSync(shot));
  assert.deepEqual([png.width, png.height], [900, 1400]);
  // The first chart is drawn: blue curve pixels (the palette's first colour, #1f77b4, or its faint raw line) in its area.
  let blue = 0, dark = 0;
  for (let y = 150; y < 500; y++)
    for (let x = 0; x < 900; x++) {
      const o = (y * 900 + x) * 4;
      const [r, g, b] = [png.data[o], png.data[o + 1], png.data[o + 2]];
      if (b > 150 && r < 120 && g < 160) blue++;
      if (r + g + b < 200) dark++;
    }
  assert.ok(blue > 500, `${blue} curve pixels`);
  assert.ok(dark > 500, `${dark} text and axis pixels`);
});
