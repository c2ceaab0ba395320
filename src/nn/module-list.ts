import { Module } from './module.ts';

/** An indexed list of child modules named `0`, `1`, ... (torch.nn.ModuleList). */
export class ModuleList extends Module {
  private count = 0;

  add<M extends Module>(m: M): M {
    return this.child(String(this.count++), m);
  }

  get length(): number {
    return this.count;
  }
}
