import { InputError } from '../../util/errors.ts';

/** Loads a torch.save file (zip + pickle). Filled in by the torch reader (branch torch-reader). */
export function loadTorchFile(file: string): unknown {
  throw new InputError('reading torch.save files needs the torch reader, not merged into this branch yet', { file });
}
