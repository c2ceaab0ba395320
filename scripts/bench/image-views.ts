/**
 * `npm run bench -- image-views [--root DIR] [--batch 256] [--batches 10]`: how fast the image side feeds a
 * trainer. Loads the CIFAR-10 image folder (train + test JPEGs), then times each view generator on batches
 * of random indices. Prints one JSON object as its last line.
 */
import { resolve } from 'node:path';
import { loadImageFolderSplits } from '../../src/image/image-folder.ts';
import { byolViews, simclrCifarViews } from '../../src/image/views/presets.ts';
import { RotationSampler } from '../../src/image/views/rotation-sampler.ts';
import { RelativePositionSampler } from '../../src/image/views/relative-position-sampler.ts';
import { CpcPatchGridSampler } from '../../src/image/views/cpc-patch-grid-sampler.ts';
import type { ImageSource } from '../../src/image/dataset.ts';
import { Rng } from '../../src/util/rng.ts';
import { Args } from '../../src/util/args.ts';

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv);
  const root = args.string('root', resolve(import.meta.dirname, '../../../shared/data/cifar10'));
  const batch = args.int('batch', 256);
  const batches = args.int('batches', 10);
  args.rejectUnknown();

  const t0 = performance.now();
  const { splits, failures } = loadImageFolderSplits(root, ['train', 'test']);
  const loadSeconds = (performance.now() - t0) / 1000;
  const images = splits.train.size + splits.test.size;
  process.stderr.write(`loaded ${images} images in ${loadSeconds.toFixed(2)} s (${failures.length} failures)\n`);

  const rng = new Rng(0);
  const source: ImageSource = splits.train;
  const time = (run: (idx: number[]) => void): number => {
    run(Array.from({ length: batch }, () => rng.int(source.size))); // warm-up
    const start = performance.now();
    for (let b = 0; b < batches; b++) run(Array.from({ length: batch }, () => rng.int(source.size)));
    return (performance.now() - start) / batches;
  };
  const simclr = simclrCifarViews();
  const byol = byolViews({ cifar: true });
  const rotation = new RotationSampler();
  const relative = new RelativePositionSampler();
  const cpc = new CpcPatchGridSampler();
  const ms = {
    simclr: time((idx) => simclr.generate(source, idx, rng)),
    byol_cifar: time((idx) => byol.generate(source, idx, rng)),
    rotation: time((idx) => rotation.sample(source, idx, rng)),
    relative_position: time((idx) => relative.sample(source, idx, rng)),
    cpc_grid: time((idx) => cpc.sample(source, idx, rng)),
  };
  for (const [k, v] of Object.entries(ms)) process.stderr.write(`${k}: ${v.toFixed(1)} ms per batch of ${batch}\n`);
  const round = (v: number) => Math.round(v * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'image-views',
      images,
      load_seconds: Math.round(loadSeconds * 100) / 100,
      images_per_second: Math.round(images / loadSeconds),
      batch,
      ms_per_batch: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round(v)])),
    }),
  );
}
