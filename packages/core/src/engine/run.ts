import { EventEmitter } from 'eventemitter3';
import { LLMBatchError, type SerializedError, toLLMBatchError } from '../errors.js';
import { isPromise } from '../internal/is-promise.js';
import type { ValidationIssue } from '../output/output-schema.js';
import type { ConcurrencyChange } from '../policies/adaptive-concurrency.js';
import type { RunEndReason, RunProgress, RunSummary, Unit, UnitResult } from '../types.js';
import { CallSlots } from './call-slots.js';
import type { RunEvents } from './events.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { RunContext } from './run-context.js';
import { countResult, newCounters, progressOf } from './run-counters.js';
import { type PipelineHost, UnitPipeline } from './unit-pipeline.js';

/**
 * A running batch: iterate it for results, listen to its events, await its summary.
 *
 * @example
 * ```ts
 * const run = engine.run(units, { model: 'mock:echo', prompt: 'Summarise {{text}}' });
 * run.on('progress', ({ done }) => console.log(done));
 * for await (const result of run) console.log(result.key, result.value);
 * console.log(await run.summary);
 * ```
 */
export interface Run extends AsyncIterable<UnitResult>, Pick<EventEmitter<RunEvents>, 'on' | 'once' | 'off'> {
  /** Resolves when the run has ended (all units done, aborted, or failed). Never rejects. */
  readonly summary: Promise<RunSummary>;
  /** Current counters. */
  progress(): RunProgress;
  /** Stops dispatch and aborts in-flight calls; results already finished are still yielded. */
  abort(reason?: unknown): void;
  /** Consumes every result without keeping them and returns the summary. */
  drain(): Promise<RunSummary>;
}

/** What the engine needs of a run besides its public face. */
export type RunHandle = Run &
  EventEmitter<RunEvents> & {
    /** The adaptive controller changed the concurrency. */
    setConcurrency(change: ConcurrencyChange): void;
  };

/** Starts a run lazily: nothing is read or sent until the first result is requested. */
export function createRun(source: AsyncIterable<Unit> | Iterable<Unit>, context: RunContext): RunHandle {
  return new RunController(source, context);
}

class RunController extends EventEmitter<RunEvents> implements Run, PipelineHost {
  readonly summary: Promise<RunSummary>;
  private resolveSummary!: (summary: RunSummary) => void;
  private readonly controller = new AbortController();
  private readonly slots: CallSlots;
  private readonly buffer: ReorderBuffer;
  private started = false;
  private finished = false;
  private iterated = false;
  private wakeDispatch: (() => void) | undefined;
  private wakeIdle: (() => void) | undefined;
  private readonly startedAt: number;
  private progressTimer: ReturnType<typeof setInterval> | undefined;
  private endReason: RunEndReason = 'completed';
  private endError: SerializedError | undefined;
  readonly counters = newCounters();
  private readonly pipeline: UnitPipeline;

  constructor(
    private readonly source: AsyncIterable<Unit> | Iterable<Unit>,
    private readonly context: RunContext,
  ) {
    super();
    this.summary = new Promise((resolve) => {
      this.resolveSummary = resolve;
    });
    this.buffer = new ReorderBuffer(context.ordered, () => this.wakeDispatch?.());
    this.pipeline = new UnitPipeline(context, this);
    this.slots = new CallSlots(context.adaptive?.limit ?? context.concurrency, () => this.wakeDispatch?.());
    this.startedAt = context.clock.now();
    if (context.signal !== undefined) {
      if (context.signal.aborted) this.abort(context.signal.reason);
      else context.signal.addEventListener('abort', () => this.abort(context.signal?.reason), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  progress(): RunProgress {
    return progressOf(this.counters, {
      breaker: this.context.breakerState(),
      concurrency: this.slots.concurrency,
      elapsedMs: this.context.clock.now() - this.startedAt,
    });
  }

  setConcurrency(change: ConcurrencyChange): void {
    this.slots.concurrency = change.to;
    this.emit('concurrency-change', change);
    this.wakeDispatch?.();
  }

  abort(reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    if (!this.finished) this.endReason = 'aborted';
    this.controller.abort(
      reason ?? new LLMBatchError({ code: 'aborted', message: 'run aborted', isAvailabilityFailure: false }),
    );
    this.context.budget?.interrupt();
    this.wakeDispatch?.();
    if (!this.started) this.start();
  }

  async drain(): Promise<RunSummary> {
    for await (const _ of this) {
      // results are discarded; the summary counts them
    }
    return this.summary;
  }

  [Symbol.asyncIterator](): AsyncIterator<UnitResult> {
    if (this.iterated) return new FailedIterator();
    this.iterated = true;
    this.start();
    return new ResultIterator(this, this.buffer);
  }

  /** Whether the run has ended (every result is in the buffer or was handed over). */
  get ended(): boolean {
    return this.finished;
  }

  /** The consumer stopped early (`break` out of `for await`): stop the run. */
  stopEarly(): void {
    if (!this.finished) this.abort();
  }

  onRetry(index: number, key: string, attempt: number, error: SerializedError): void {
    this.counters.retries++;
    this.emit('unit-retry', { index, key, attempt, error });
  }

  onRepair(index: number, key: string, repair: number, issues: ValidationIssue[]): void {
    this.emit('unit-repair', { index, key, repair, issues });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.context.priceKnown) {
      this.context.logger.warn(
        { model: this.context.priceKey },
        `no price known for ${this.context.priceKey}: costs are reported as null (add a price override)`,
      );
    }
    this.progressTimer = setInterval(
      () => this.emit('progress', this.progress()),
      this.context.progressIntervalMs,
    );
    this.progressTimer.unref?.();
    void this.pump();
  }

  private hasRoom(): boolean {
    return (
      this.slots.running < this.slots.concurrency && this.buffer.outstanding < this.context.reorderWindow
    );
  }

  private async pump(): Promise<void> {
    const signal = this.controller.signal;
    let iterator: Iterator<Unit> | AsyncIterator<Unit> | undefined;
    let exhausted = false;
    try {
      iterator =
        Symbol.asyncIterator in this.source
          ? this.source[Symbol.asyncIterator]()
          : (this.source as Iterable<Unit>)[Symbol.iterator]();
      while (!signal.aborted && !this.pipeline.stopped) {
        while (!this.hasRoom() && !signal.aborted) {
          await new Promise<void>((resolve) => {
            this.wakeDispatch = resolve;
          });
          this.wakeDispatch = undefined;
        }
        if (signal.aborted) break;
        const step = iterator.next();
        const next = isPromise(step) ? await step : step;
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const index = this.counters.read++;
        this.buffer.admit();
        const dispatched = this.pipeline.dispatch(index, next.value);
        if (dispatched !== undefined) await dispatched;
      }
    } catch (error) {
      this.fail(error, 'source');
    } finally {
      if (!exhausted && iterator?.return !== undefined) {
        try {
          await iterator.return();
        } catch (error) {
          this.context.logger.warn({ error: String(error) }, 'source cleanup failed');
        }
      }
    }
    while (true) {
      await this.slots.idle();
      if (this.pipeline.followers === 0) break;
      await new Promise<void>((resolve) => {
        this.wakeIdle = resolve;
      });
      this.wakeIdle = undefined;
    }
    this.finish();
  }

  enqueue(task: () => Promise<void>): void {
    this.slots.run(task);
  }

  drop(index: number): void {
    this.buffer.deliver(index, undefined);
  }

  onBudgetExhausted(): void {
    if (!this.finished && this.endReason === 'completed') this.endReason = 'budget-exceeded';
  }

  onFollowersDone(): void {
    this.wakeIdle?.();
  }

  unitStarted(index: number, key: string): void {
    if (this.listenerCount('unit-start') > 0) this.emit('unit-start', { index, key });
  }

  settle(result: UnitResult): Promise<void> | undefined {
    countResult(this.counters, result);
    const checkpoint = this.context.checkpoint;
    if (checkpoint?.markDone !== undefined) {
      let marked: void | Promise<void>;
      try {
        marked = checkpoint.markDone(result);
      } catch (error) {
        this.fail(error, 'checkpoint');
        marked = undefined;
      }
      if (isPromise(marked)) {
        return marked.then(
          () => this.handOver(result),
          (error: unknown) => {
            this.fail(error, 'checkpoint');
            this.handOver(result);
          },
        );
      }
    }
    this.handOver(result);
    return undefined;
  }

  private handOver(result: UnitResult): void {
    this.emit('unit-end', result);
    this.buffer.deliver(result.index, result);
  }

  private fail(error: unknown, where: 'source' | 'checkpoint'): void {
    const failure =
      where === 'checkpoint' && !(LLMBatchError.isInstance(error) && error.code === 'checkpoint')
        ? new LLMBatchError({
            code: 'checkpoint',
            message: `checkpoint store failed: ${String(error)}`,
            cause: error,
          })
        : toLLMBatchError(error, where === 'source' ? 'invalid-unit' : 'checkpoint');
    if (this.endError === undefined) {
      this.endError = failure.toJSON();
      this.endReason = 'failed';
      this.context.logger.error({ code: failure.code }, `run failed: ${failure.message}`);
    }
    this.controller.abort(failure);
    this.context.budget?.interrupt();
    this.wakeDispatch?.();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.progressTimer);
    const { inFlight: _inFlight, ...counters } = this.counters;
    const now = this.context.clock.now();
    const summary: RunSummary = {
      ...counters,
      usage: { ...counters.usage },
      reason: this.endReason,
      pricingVersion: this.context.prices.pricingVersion,
      notAttempted: counters.read - counters.done - counters.skipped,
      durationMs: now - this.startedAt,
      elapsedMs: now - this.startedAt,
    };
    const { budget } = this.context;
    if (budget !== undefined) {
      summary.budget = {
        maxCost: budget.maxCost,
        spent: budget.spent,
        remaining: budget.maxCost - budget.spent,
      };
    }
    if (this.endError !== undefined) summary.error = this.endError;
    this.emit('progress', this.progress());
    this.emit('run-end', summary);
    this.resolveSummary(summary);
    this.buffer.wake();
  }
}

/**
 * The consumer's iterator. Written out rather than as an async generator: a generator costs a few
 * promises and a resumption per result, and this runs once per unit. A result that is ready is handed
 * over in an already settled promise.
 */
class ResultIterator implements AsyncIterator<UnitResult> {
  constructor(
    private readonly run: RunController,
    private readonly buffer: ReorderBuffer,
  ) {}

  next(): Promise<IteratorResult<UnitResult>> {
    const result = this.buffer.take();
    if (result !== undefined) return Promise.resolve({ value: result, done: false });
    if (this.run.ended) return Promise.resolve({ value: undefined, done: true });
    return this.buffer.waitForResult().then(() => this.next());
  }

  return(): Promise<IteratorResult<UnitResult>> {
    this.run.stopEarly();
    return Promise.resolve({ value: undefined, done: true });
  }
}

/** The iterator of a run iterated a second time: its first step rejects. */
class FailedIterator implements AsyncIterator<UnitResult> {
  next(): Promise<IteratorResult<UnitResult>> {
    return Promise.reject(
      new LLMBatchError({ code: 'invalid-options', message: 'a run can be iterated only once' }),
    );
  }
}
