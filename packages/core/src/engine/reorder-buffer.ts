import type { UnitResult } from '../types.js';

/**
 * Finished units on their way to the consumer. In ordered mode a result waits until every unit before
 * it has been delivered (a dropped unit — skipped, cancelled, held back by the budget — counts as
 * delivered but is never yielded). `outstanding` counts units read but not yet handed to the consumer,
 * which the run bounds by its reorder window.
 */
export class ReorderBuffer {
  outstanding = 0;
  readonly #ready: UnitResult[] = [];
  readonly #waiting = new Map<number, UnitResult | undefined>();
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
      this.#waiting.set(index, result);
      while (this.#waiting.has(this.#nextIndex)) {
        const next = this.#waiting.get(this.#nextIndex);
        this.#waiting.delete(this.#nextIndex);
        this.#nextIndex++;
        this.#release(next);
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
}
