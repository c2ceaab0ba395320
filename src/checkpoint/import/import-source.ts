import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError, errorMessage } from '../../util/errors.ts';
import type { JsonValue } from '../../util/fields.ts';
import { planFairseqImport } from './fairseq.ts';
import { isHfFolder, planHfImport } from './hf.ts';
import { assembleEncoder, type AssembledEncoder, type ImportPlan } from './import-plan.ts';
import { planS3prlImport } from './s3prl.ts';
import { asState, readSafetensorsState } from './state-files.ts';
import { loadTorchFile } from '../torch-load.ts';
import { planTorchaudioImport } from './torchaudio.ts';
import { writeImportedRun } from './write-run.ts';

/**
 * `speech-ssl import SRC --out RUN [--config JSON]`: which layout SRC is, and the import itself.
 *   a folder with config.json                     Hugging Face (hubert, wav2vec2)
 *   a file with --config                          torchaudio Wav2Vec2Model state dict (torch.save or safetensors)
 *   a torch.save file with "Distiller", "Config"  s3prl distiller (DistilHuBERT)
 *   a torch.save file with "cfg" or "args"        fairseq HuBERT / wav2vec 2.0 (pretrained or fine-tuned)
 */
export interface ImportOptions {
  source: string;
  out: string;
  /** torchaudio: the arguments of wav2vec2_model, as a JSON file. */
  config?: string;
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`unreadable JSON: ${errorMessage(e)}`, { file });
  }
}

function isSafetensors(file: string): boolean {
  return file.endsWith('.safetensors');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** torch.save files, as state dicts (the tensors of a dict of tensors) for Hugging Face's pytorch_model.bin. */
export function readTorchState(file: string): ReturnType<typeof asState> {
  return asState(loadTorchFile(file), file, '(the pickled dict)');
}

/** Decides the layout of `source` and plans its import (reads config and tensor headers, not yet the weights). */
export function planImport(o: Pick<ImportOptions, 'source' | 'config'>): ImportPlan {
  const src = o.source;
  if (!existsSync(src)) throw new InputError('no such file or folder', { file: src });
  if (statSync(src).isDirectory()) {
    if (!isHfFolder(src)) throw new InputError('a folder, but no config.json in it: expected a Hugging Face model folder', { file: src });
    if (o.config) throw new InputError('--config is for torchaudio state dicts; a Hugging Face folder has its config.json', { field: '--config' });
    return planHfImport(src, readTorchState);
  }
  if (o.config) {
    const root = isSafetensors(src) ? readSafetensorsState(src) : loadTorchFile(src);
    return planTorchaudioImport(root, src, readJsonFile(o.config), o.config);
  }
  if (isSafetensors(src)) throw new InputError('a safetensors file has no architecture in it: pass --config JSON (torchaudio wav2vec2_model arguments), or import the Hugging Face folder it belongs to', { file: src });
  const root = loadTorchFile(src);
  if (isObject(root) && 'Distiller' in root) return planS3prlImport(root, src);
  if (isObject(root) && ('cfg' in root || 'args' in root)) return planFairseqImport(root, src);
  throw new InputError(`not a checkpoint this importer reads: no "cfg"/"args" (fairseq) nor "Distiller" (s3prl)${isObject(root) ? `; its keys: ${Object.keys(root).slice(0, 8).join(', ')}` : ''}. A torchaudio state dict needs --config`, { file: src });
}

export interface ImportResult {
  plan: ImportPlan;
  checkpointDir: string;
  filled: string[];
  parameters: number;
}

/** Imports `source` into the run folder `out` (atomically). */
export function importPretrained(o: ImportOptions): ImportResult {
  if (existsSync(o.out) && (!statSync(o.out).isDirectory() || readdirSync(o.out).length > 0)) {
    throw new InputError('the output folder exists and is not empty; choose another --out or remove it', { file: o.out });
  }
  const plan = planImport(o);
  const assembled: AssembledEncoder = assembleEncoder(plan);
  try {
    const dropped: Record<string, JsonValue> = Object.fromEntries(plan.dropped);
    const record: Record<string, JsonValue> = {
      source: o.source,
      file: basename(plan.file),
      format: plan.format,
      description: plan.description,
      dropped,
      filled: assembled.filled,
      normalize: plan.normalize ? { eps: plan.normalize.eps } : null,
    };
    const checkpointDir = writeImportedRun(o.out, assembled.encoder, plan, record);
    return { plan, checkpointDir, filled: assembled.filled, parameters: assembled.encoder.numParameters() };
  } finally {
    assembled.encoder.dispose();
  }
}
