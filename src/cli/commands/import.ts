import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { initBackend } from '../../engine/backend.ts';
import { importPretrained } from '../../checkpoint/import/import-source.ts';

const usage = `speech-ssl import SRC --out RUN [--config JSON]

Imports a pretrained HuBERT, wav2vec 2.0 or DistilHuBERT encoder as a run folder of the kind \`train\` writes
(checkpoints/step-000000000 with model.json and weights, features.json, import.json), so that
\`extract --features RUN --layer L\`, \`export\`, \`label\` and distillation take it as they take a trained run.

SRC is one of:
  a Hugging Face model folder    config.json (model_type hubert or wav2vec2) with model.safetensors (or shards
                                 and model.safetensors.index.json) or pytorch_model.bin; HubertModel,
                                 Wav2Vec2Model, Wav2Vec2ForPreTraining, *ForCTC (the head is left out and
                                 named); preprocessor_config.json's do_normalize is kept in features.json
  a fairseq checkpoint (.pt)     HuBERT or wav2vec 2.0, pretrained or fine-tuned; config from cfg.model or
                                 the args Namespace; task.normalize kept in features.json
  an s3prl distiller checkpoint  DistilHuBERT ({"Distiller": ..., "Config": ...})
  a torchaudio state dict        torch.save(Wav2Vec2Model.state_dict()) or safetensors, with --config

Options:
  --out RUN         the run folder to write (must not exist, or be empty); written atomically
  --config JSON     torchaudio only: the arguments of torchaudio.models.wav2vec2_model as a JSON object

Layers: \`extract --layer L\` of an imported model is Hugging Face's hidden_states[L] and fairseq's
output_layer=L: 0 the transformer input, L the output of layer L (for pre-LN models the last one after the
final LayerNorm). Pickles are parsed, never executed.
`;

function filledNote(name: string): string {
  if (name === 'mask_emb') return 'mask_emb (drawn from U(0, 1) as fairseq does; used only by masked pretraining)';
  return `${name} (identity: the source has no projection)`;
}

const command: Command = {
  summary: 'import a pretrained HuBERT / wav2vec 2.0 / DistilHuBERT checkpoint as a run folder',
  usage,
  async run(args: Args): Promise<number> {
    const out = args.string('out');
    const config = args.string('config');
    args.rejectUnknown();
    if (!out) throw new InputError('required: the run folder to write', { field: '--out' });
    if (args.positionals.length !== 1) throw new InputError(`expected one source (a Hugging Face folder or a checkpoint file), got ${args.positionals.length === 0 ? 'none' : args.positionals.join(' ')}`);
    await initBackend('cpu');
    const r = importPretrained({ source: args.positionals[0], out, ...(config ? { config } : {}) });
    const c = r.plan.config;
    const dropped = [...r.plan.dropped].map(([h, n]) => `${h} (${n} tensor${n === 1 ? '' : 's'})`);
    const lines = [
      `imported ${r.plan.description} from ${r.plan.file}`,
      `  encoder: ${c.layers} ${c.normFirst ? 'pre-LN' : 'post-LN'} layers of ${c.dim} (${c.heads} heads, FFN ${c.ffnDim}), ${c.convLayers.length} conv layers (${c.convNorm === 'group0' ? 'group norm' : 'layer norm'}${c.convBias ? ', with bias' : ''}), ${r.parameters >= 1e5 ? `${(r.parameters / 1e6).toFixed(2)}M` : r.parameters} parameters`,
      `  left out: ${dropped.length ? dropped.join(', ') : 'nothing'}${r.filled.length ? `; not in the source: ${r.filled.map(filledNote).join(', ')}` : ''}`,
      `  input: 16 kHz waveform${r.plan.normalize ? `, normalised per utterance (eps ${r.plan.normalize.eps})` : ', not normalised'}`,
      `wrote ${r.checkpointDir}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

export default command;
