import type { UnitResult } from '../types.js';

/** Marks a slot whose unit ended without a result (skipped, cancelled, held back by the budget). */
const dropped = Symbol('dropped');

type Slot = UnitResult | typeof dropped | undefined;

/**
 * Finished units on their way to the consumer. In ordered mode a result waits until every unit before
 * it has been delivered (a dropped unit — skipped, cancelled, held back by the budget — counts as
 * delivered but is never yielded). `outstanding` counts units read but not yet handed to the consumer,
 * which the run bounds by its reorder window.
 *
 * Results waiting for an earlier unit sit in a ring of slots indexed by unit index (it grows by
 * doubling to the span of indices outstanding, at most the reorder window), so delivering one is an
 * array store: no hashing, and no per-entry allocation that would outlive young-generation collections.
 */
export class ReorderBuffer {
  outstanding = 0;
  readonly #ready: UnitResult[] = [];
  #slots: Slot[] = new Array<Slot>(64).fill(undefined);
  #nextIndex = 0;
  #wakeConsumer: (() => void) | undefined;

  constructor(
    readonly ordered: boolean,
    private readonly onRelease: () => void,
  ) {}

  /** A unit was read from the source. */
  admit(): void {
    this.outstanding++;
  }

  /** Unit `index` finished with `result`, or was dropped (`undefined`). */
  deliver(index: number, result: UnitResult | undefined): void {
    if (this.ordered) {
      while (index - this.#nextIndex >= this.#slots.length) this.#grow();
      this.#slots[index % this.#slots.length] = result ?? dropped;
      for (;;) {
        const position = this.#nextIndex % this.#slots.length;
        const next = this.#slots[position];
        if (next === undefined) break;
        this.#slots[position] = undefined;
        this.#nextIndex++;
        this.#release(next === dropped ? undefined : next);
      }
    } else {
      this.#release(result);
    }
    this.onRelease();
    this.wake();
  }

  /** The next result for the consumer, if one is ready. */
  take(): UnitResult | undefined {
    const result = this.#ready.shift();
    if (result !== undefined) {
      this.outstanding--;
      this.onRelease();
    }
    return result;
  }

  /** Resolves when a result is ready or {@link wake} is called. */
  waitForResult(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeConsumer = resolve;
    });
  }

  /** Wakes a consumer waiting in {@link waitForResult}. */
  wake(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  #release(result: UnitResult | undefined): void {
    if (result === undefined) this.outstanding--;
    else this.#ready.push(result);
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Array<Slot>(old.length * 2).fill(undefined);
    for (let index = this.#nextIndex; index < this.#nextIndex + old.length; index++) {
      slots[index % slots.length] = old[index % old.length];
    }
    this.#slots = slots;
  }
}
