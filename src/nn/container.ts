import { Module } from './module.ts';

/** A named group of child modules with no computation of its own (fairseq's `encoder`, a conv layer's `0`/`2`). */
export class Container extends Module {
  register<M extends Module>(name: string, m: M): M {
    return this.child(name, m);
  }
}
