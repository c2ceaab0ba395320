import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { initBackend } from '../../engine/backend.ts';
import { exportCheckpoint } from '../../export/export-checkpoint.ts';

const usage = `speech-ssl export <checkpoint-dir | run-dir> --out model.onnx [options]

Writes a trained encoder as an ONNX model (opset 17, dynamic batch and time axes; see docs/onnx.md).
A run folder means its best checkpoint when best.json marks one, else its latest.

Options:
  --out FILE                    the .onnx file (written atomically)
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

const command: Command = {
  summary: 'export a trained encoder to ONNX (hidden layers, optional in-graph frontend)',
  usage,
  booleanFlags: ['with-frontend', 'padding-mask'],
  async run(args: Args): Promise<number> {
    const out = args.string('out');
    if (!out) throw new InputError('required: the .onnx file to write', { field: '--out' });
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
