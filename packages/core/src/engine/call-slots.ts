/**
 * The run's concurrency: how many units' calls are in flight, against a limit the adaptive controller
 * may change. The run reads a unit only when there is a free slot, so a call never waits here: taking a
 * slot starts it at once, and finishing frees the slot and wakes the reader.
 *
 * This is the part of a promise queue the engine uses. A general one (p-queue, which the engine used
 * before) records every task — a copy of its options, an id, a `Symbol`, an entry with a timestamp,
 * several closures and events — which at thousands of units a second was about 1.5 KB of garbage and
 * a few microseconds of CPU per unit, and a good part of what each in-flight call kept alive.
 */
export class CallSlots {
  #running = 0;
  #wakeIdle: (() => void) | undefined;

  /**
   * @param concurrency Calls allowed in flight.
   * @param onFree Called each time a call ends and its slot is free again.
   */
  constructor(
    public concurrency: number,
    private readonly onFree: () => void,
  ) {}

  /** Calls in flight. */
  get running(): number {
    return this.#running;
  }

  /** Takes a slot and starts `task`; the slot is freed when the task's promise settles. */
  run(task: () => Promise<void>): void {
    this.#running++;
    let pending: Promise<void>;
    try {
      pending = task();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(this.#finished, this.#failed);
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#wakeIdle = resolve;
    });
  }

  readonly #finished = (): void => {
    this.#running--;
    this.onFree();
    if (this.#running === 0) {
      const wake = this.#wakeIdle;
      this.#wakeIdle = undefined;
      wake?.();
    }
  };

  // A task is not expected to reject (the pipeline turns every failure into a result); if one does, the
  // slot is freed and the error is rethrown unhandled, so it is not lost.
  readonly #failed = (error: unknown): never => {
    this.#finished();
    throw error;
  };
}
