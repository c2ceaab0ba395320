import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { initBackend } from '../../engine/backend.ts';
import { exportCheckpoint } from '../../export/export-checkpoint.ts';
import { hfExportOf, writeHfExport } from '../../checkpoint/hf-export.ts';
import { loadTrainedEncoder } from '../../checkpoint/trained-encoder.ts';
import { findTrainingFeatureConfig, readFeatureConfig } from '../../checkpoint/feature-config.ts';

const usage = `speech-ssl export <checkpoint-dir | run-dir> --out model.onnx [options]
speech-ssl export <checkpoint-dir | run-dir> --format hf --out DIR

Writes a trained or imported encoder as an ONNX model (opset 17, dynamic batch and time axes; see
docs/onnx.md), or with --format hf as a Hugging Face model folder (config.json of a HubertModel,
model.safetensors with PyTorch's tensor orientations, preprocessor_config.json) that transformers and
torchaudio load (waveform audio transformers only). A run folder means its best checkpoint when best.json
marks one, else its latest.

Options:
  --format onnx|hf              what to write (default onnx)
  --out FILE|DIR                the .onnx file, or the folder for --format hf (written atomically)
  --layers last|all|N,M         outputs: last = \`hidden\` (the encoder output); all = \`hidden\` and every
                                \`hidden_<i>\`; N,M = those hidden states (0 = input to the first context
                                layer) and only the layers they need (default last)
  --with-frontend               put the feature computation in the model, which then takes \`waveform\`
                                (encoders trained on fbank / mel spectrogram features)
  --frontend-config FILE        the features.json of the training features (default: the run's copy, or
                                the one beside its data.train.features)
  --frontend-precision float64|float32   arithmetic of the frontend (default float64; float32 for runtimes
                                without doubles, e.g. TensorRT)
  --no-padding-mask             no \`padding_mask\` input (every batch row is full length)

A layer or setting ONNX cannot express is refused, naming it; no file is written then.
`;

async function exportHf(args: Args, out: string): Promise<number> {
  args.rejectUnknown();
  if (args.positionals.length !== 1) throw new InputError(`expected one checkpoint or run folder, got ${args.positionals.length === 0 ? 'none' : args.positionals.join(' ')}`);
  await initBackend('cpu');
  const trained = loadTrainedEncoder(args.positionals[0]);
  try {
    const file = findTrainingFeatureConfig(trained.dir, trained.runConfig);
    const normalize = file !== undefined && readFeatureConfig(file).normalize === true;
    const e = hfExportOf(trained.encoder, normalize, trained.dir);
    writeHfExport(out, e);
    const c = e.config;
    process.stdout.write(
      `wrote ${out}: Hugging Face ${(c.architectures as string[])[0]} (model_type ${String(c.model_type)}, ${String(c.num_hidden_layers)} layers of ${String(c.hidden_size)}, ` +
        `${c.do_stable_layer_norm ? 'pre-LN' : 'post-LN'}), ${e.tensors.size} tensors in model.safetensors, do_normalize ${String(normalize)}; from ${trained.dir} (step ${trained.step})\n`,
    );
    return 0;
  } finally {
    trained.encoder.dispose();
  }
}

const command: Command = {
  summary: 'export a trained encoder to ONNX (hidden layers, optional in-graph frontend)',
  usage,
  booleanFlags: ['with-frontend', 'padding-mask'],
  async run(args: Args): Promise<number> {
    const out = args.string('out');
    const format = args.choice('format', ['onnx', 'hf'] as const, 'onnx');
    if (!out) throw new InputError(`required: the ${format === 'hf' ? 'folder' : '.onnx file'} to write`, { field: '--out' });
    if (format === 'hf') return exportHf(args, out);
    const layers = args.string('layers', 'last');
    const withFrontend = args.bool('with-frontend');
    const frontendPrecision = args.choice('frontend-precision', ['float64', 'float32'] as const, 'float64');
    const paddingMask = args.bool('padding-mask', true);
    const frontendConfig = args.string('frontend-config');
    args.rejectUnknown();
    if (args.positionals.length !== 1) throw new InputError(`expected one checkpoint or run folder, got ${args.positionals.length === 0 ? 'none' : args.positionals.join(' ')}`);
    await initBackend('cpu');
    const r = exportCheckpoint({ checkpoint: args.positionals[0], out, layers, withFrontend, frontendPrecision, paddingMask, frontendConfig });
    const m = r.model;
    const outputs = m.outputNames.filter((n) => n !== 'lengths');
    process.stdout.write(
      `wrote ${out} (${(m.bytes.length / 1e6).toFixed(2)} MB): ${m.metadata.encoder_kind} encoder from ${r.checkpointDir} (step ${r.step}); ` +
        `inputs ${m.inputNames.join(', ')}; outputs ${outputs.join(', ')}, lengths` +
        (m.metadata.frame_rate ? `; ${m.metadata.frame_rate} frames/s` : '') +
        (withFrontend ? `; frontend ${JSON.parse(m.metadata.frontend).kind} (${frontendPrecision}) from ${r.featureConfigFile}` : '') +
        '\n',
    );
    return 0;
  },
};

export default command;
