import type { Args } from '../util/args.ts';
import { InputError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';
import { initBackend, BACKEND_CHOICES } from '../engine/backend.ts';
import { loadImageSplits, uniformImageShape } from '../data/image-source.ts';
import { loadImageFolder } from '../image/image-folder.ts';
import { stratifiedSubset } from '../data/image-data.ts';
import { encoderFromCheckpoint, encoderFromRunConfig, embedImages, evalImageSpec } from '../eval/image-embedding.ts';
import { evaluateKnnFolds, evaluateProbeFolds } from '../eval/fold-evaluation.ts';
import { PROBE_DEFAULTS } from '../eval/linear-probe.ts';
import { formatTable } from '../eval/eval-corpus.ts';

/**
 * `speech-ssl eval knn|probe|knn+probe --checkpoint RUN` (or `--random-init CONFIG`): frozen pooled features of the
 * run's images, the probe or kNN fitted on the train split and scored on the test split.
 */
export const IMAGE_EVAL_USAGE = `images:   speech-ssl eval <knn|probe|knn+probe> --checkpoint RUN|CKPT  (or --random-init RUN_CONFIG for the baseline)
          the run's image source (its data section), or --images PATH [--source folder|cifar-binary|digits-csv];
          --test-images DIR: score on this folder of <class>/<image> instead of the source's test split;
          progress on stderr while embedding (--no-progress to silence it);
          pooled encoder output (--layer N: hidden state N), fitted on the train split, scored on the test split;
          --max-train N (a class-stratified subset of train, 0 all), --batch-size N (256), --backend NAME, --threads N (wasm threads, as train)`;

export async function runImageEval(mode: 'knn' | 'probe' | 'knn+probe', args: Args): Promise<number> {
  const checkpoint = args.string('checkpoint');
  const randomInit = args.string('random-init');
  if (!checkpoint === !randomInit) throw new InputError('give exactly one of --checkpoint RUN and --random-init CONFIG');
  const images = args.string('images');
  const testImages = args.string('test-images');
  const progress = !args.bool('no-progress');
  const source = args.string('source');
  const layer = args.int('layer');
  const maxTrain = args.int('max-train', 0);
  const batchSize = args.int('batch-size', 256);
  const backend = args.choice('backend', BACKEND_CHOICES, 'auto');
  const threads = args.positiveInt('threads');
  const out = args.string('out');
  const asJson = args.bool('json');
  const l2 = args.number('l2', PROBE_DEFAULTS.l2);
  const maxIter = args.int('max-iter', PROBE_DEFAULTS.maxIter);
  const ks = args.string('k', '20,200').split(',').map(Number);
  const temperature = args.number('temperature', 0.07);
  args.rejectUnknown();
  if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new InputError('expected positive integers', { field: '--k' });
  await initBackend(backend, { threads });
  const ev = checkpoint ? encoderFromCheckpoint(checkpoint) : encoderFromRunConfig(randomInit!);
  try {
    if (layer !== undefined && !(layer >= 0 && layer <= ev.encoder.numLayers)) throw new InputError(`the encoder has hidden states 0..${ev.encoder.numLayers}`, { field: '--layer' });
    const spec = evalImageSpec(ev, { path: images, source });
    const t0 = performance.now();
    const splits = loadImageSplits(spec, !testImages);
    const held = testImages ? loadImageFolder(testImages, { channels: spec.channels, size: spec.size, classNames: splits.classNames }) : null;
    const test = held ? held.dataset : splits.test;
    if (!test) throw new InputError(`no test split ("${spec.testSplit}")`, { file: spec.path });
    for (const f of [...splits.failures, ...(held?.failures ?? [])]) process.stderr.write(`speech-ssl eval: skipped ${f.file}: ${f.problem}\n`);
    const train = stratifiedSubset(splits.train, maxTrain, new Rng(spec.splitSeed));
    uniformImageShape(train, spec.path);
    uniformImageShape(test, testImages ?? spec.path);
    const d = ev.encoder.outputDim;
    const x = new Float32Array((train.size + test.size) * d);
    const report = (what: string) => (done: number, total: number) => {
      if (progress) process.stderr.write(`speech-ssl eval: embedding ${what} ${done}/${total} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    };
    x.set(embedImages(ev.encoder, train, spec.normalize, { batchSize, layer, onProgress: report('train') }), 0);
    x.set(embedImages(ev.encoder, test, spec.normalize, { batchSize, layer, onProgress: report(testImages ? 'test images' : 'test') }), train.size * d);
    const embedSeconds = (performance.now() - t0) / 1000;
    const labels = new Int32Array(train.size + test.size);
    labels.set(train.labels, 0);
    labels.set(test.labels, train.size);
    const fold = { name: 'test', train: Array.from({ length: train.size }, (_, i) => i), test: Array.from({ length: test.size }, (_, i) => train.size + i) };
    const C = splits.classNames.length;
    const accuracy: Record<string, number> = {};
    if (mode !== 'probe') Object.assign(accuracy, evaluateKnnFolds(x, labels, d, C, [fold], ks, temperature).mean);
    if (mode !== 'knn') Object.assign(accuracy, evaluateProbeFolds(x, labels, d, C, [fold], { l2, maxIter }).mean);
    const summary = { mean: accuracy };
    const cols = Object.keys(summary.mean);
    if (!asJson) process.stdout.write(formatTable(['encoder', 'train', 'test', ...cols.map((c) => `acc ${c}`)], [[ev.description, train.size, test.size, ...cols.map((c) => summary.mean[c])]]));
    const json = {
      mode,
      encoder: ev.description,
      images: spec.path,
      testImages: testImages ?? null,
      source: spec.source,
      layer: layer ?? null,
      train: train.size,
      test: test.size,
      dims: d,
      accuracy: summary.mean,
      classes: splits.classNames,
      skipped: splits.failures.length,
      embedSeconds,
      config: { ...(mode !== 'probe' ? { ks, temperature } : {}), ...(mode !== 'knn' ? { l2, maxIter } : {}) },
    };
    if (out) writeFileAtomic(out, JSON.stringify(json, null, 2) + '\n');
    if (asJson) process.stdout.write(JSON.stringify(json) + '\n');
    return 0;
  } finally {
    ev.encoder.dispose();
  }
}
