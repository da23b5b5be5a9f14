import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import type { Clock } from '../clock.js';
import { LLMBatchError, type SerializedError, toLLMBatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseOutput } from '../output/parse-output.js';
import type { Policy, PolicyContext } from '../policies/policy.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { MessageBuilder } from '../prompt/messages.js';
import type { Provider, ProviderRequest, ProviderResponse } from '../providers/provider.js';
import {
  type AttemptRecord,
  addUsage,
  type BreakerState,
  emptyUsage,
  type RunEndReason,
  type RunProgress,
  type RunSummary,
  type Unit,
  type UnitResult,
} from '../types.js';
import type { CheckpointStore } from './checkpoint.js';
import type { RunEvents } from './events.js';
import type { JobSpec } from './options.js';

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

/** Everything a run needs, resolved by the engine. */
export interface RunContext {
  provider: Provider;
  /** Model name as the provider knows it. */
  model: string;
  /** `provider:model` for pricing. */
  priceKey: string;
  job: JobSpec;
  builder: MessageBuilder;
  concurrency: number;
  reorderWindow: number;
  ordered: boolean;
  checkpoint: CheckpointStore | undefined;
  signal: AbortSignal | undefined;
  /** Wraps the provider call: breaker → retry → rate limit → timeout. */
  policy: Policy;
  /** Per-attempt admission by the rate limiter (tokens estimate), run inside the retry loop. */
  admit: (tokens: number, signal: AbortSignal) => Promise<void>;
  timeout: Policy;
  prices: PriceTable;
  clock: Clock;
  logger: Logger;
  progressIntervalMs: number;
  breakerState: () => BreakerState;
}

const skipped = Symbol('skipped');
type Slot = UnitResult | typeof skipped;

/** Starts a run lazily: nothing is read or sent until the first result is requested. */
export function createRun(source: AsyncIterable<Unit> | Iterable<Unit>, context: RunContext): Run {
  return new RunController(source, context);
}

class RunController extends EventEmitter<RunEvents> implements Run {
  readonly summary: Promise<RunSummary>;
  private resolveSummary!: (summary: RunSummary) => void;
  private readonly controller = new AbortController();
  private readonly queue: PQueue;
  private readonly ready: UnitResult[] = [];
  private readonly reorder = new Map<number, Slot>();
  private nextIndex = 0;
  private outstanding = 0;
  private started = false;
  private finished = false;
  private iterated = false;
  private wakeDispatch: (() => void) | undefined;
  private wakeConsumer: (() => void) | undefined;
  private readonly startedAt: number;
  private progressTimer: ReturnType<typeof setInterval> | undefined;
  private endReason: RunEndReason = 'completed';
  private endError: SerializedError | undefined;
  private priceMissing = false;
  private readonly counters = {
    read: 0,
    skipped: 0,
    inFlight: 0,
    done: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    cancelled: 0,
    usage: emptyUsage(),
    cost: 0 as number | null,
  };

  constructor(
    private readonly source: AsyncIterable<Unit> | Iterable<Unit>,
    private readonly context: RunContext,
  ) {
    super();
    this.summary = new Promise((resolve) => {
      this.resolveSummary = resolve;
    });
    this.queue = new PQueue({ concurrency: context.concurrency });
    // A slot is free only once p-queue has counted the task as finished.
    this.queue.on('next', () => this.wakeDispatch?.());
    this.startedAt = context.clock.now();
    if (context.signal !== undefined) {
      if (context.signal.aborted) this.abort(context.signal.reason);
      else context.signal.addEventListener('abort', () => this.abort(context.signal?.reason), { once: true });
    }
  }

  progress(): RunProgress {
    const { cancelled: _cancelled, ...counters } = this.counters;
    return {
      ...counters,
      usage: { ...counters.usage },
      breaker: this.context.breakerState(),
      elapsedMs: this.context.clock.now() - this.startedAt,
    };
  }

  abort(reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    if (!this.finished) this.endReason = 'aborted';
    this.controller.abort(
      reason ?? new LLMBatchError({ code: 'aborted', message: 'run aborted', isAvailabilityFailure: false }),
    );
    this.wakeDispatch?.();
    if (!this.started) this.start();
  }

  async drain(): Promise<RunSummary> {
    for await (const _ of this) {
      // results are discarded; the summary counts them
    }
    return this.summary;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<UnitResult> {
    if (this.iterated) {
      throw new LLMBatchError({ code: 'invalid-options', message: 'a run can be iterated only once' });
    }
    this.iterated = true;
    this.start();
    try {
      while (true) {
        const result = this.ready.shift();
        if (result !== undefined) {
          this.outstanding--;
          this.wakeDispatch?.();
          yield result;
          continue;
        }
        if (this.finished) return;
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
        this.wakeConsumer = undefined;
      }
    } finally {
      if (!this.finished) this.abort();
    }
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.progressTimer = setInterval(
      () => this.emit('progress', this.progress()),
      this.context.progressIntervalMs,
    );
    this.progressTimer.unref?.();
    void this.pump();
  }

  private hasRoom(): boolean {
    return (
      this.queue.pending + this.queue.size < this.queue.concurrency &&
      this.outstanding < this.context.reorderWindow
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
      while (!signal.aborted) {
        while (!this.hasRoom() && !signal.aborted) {
          await new Promise<void>((resolve) => {
            this.wakeDispatch = resolve;
          });
          this.wakeDispatch = undefined;
        }
        if (signal.aborted) break;
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const index = this.counters.read++;
        this.outstanding++;
        await this.dispatch(index, next.value);
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
    await this.queue.onIdle();
    this.finish();
  }

  private async dispatch(index: number, unit: Unit): Promise<void> {
    let key: string;
    try {
      key = unitKey(unit, index, this.context.job.keyField);
    } catch (error) {
      await this.settle(
        this.errorResult(index, String(index), toLLMBatchError(error, 'invalid-unit'), [], 0),
      );
      return;
    }
    const checkpoint = this.context.checkpoint;
    if (checkpoint !== undefined) {
      let done: boolean;
      try {
        done = await checkpoint.isDone(key, index);
      } catch (error) {
        throw new LLMBatchError({
          code: 'checkpoint',
          message: `checkpoint lookup failed for unit ${key}`,
          cause: error,
        });
      }
      if (done) {
        this.counters.skipped++;
        this.deliver(index, skipped);
        return;
      }
    }
    this.counters.inFlight++;
    void this.queue.add(() => this.process(index, key, unit));
  }

  private async process(index: number, key: string, unit: Unit): Promise<void> {
    const { context } = this;
    const startedAt = context.clock.now();
    this.emit('unit-start', { index, key });
    const attempts: AttemptRecord[] = [];
    let result: UnitResult;
    try {
      const messages = context.builder.build(unit, key);
      const request: Omit<ProviderRequest, 'signal'> = buildRequest(context.model, messages, context.job);
      const tokens = estimateTokens(request);
      const response = await context.policy.execute(
        (outer) =>
          this.attempt(
            outer,
            index,
            key,
            attempts,
            () =>
              context.timeout.execute(
                (inner) => context.provider.complete({ ...request, signal: inner.signal }),
                outer,
              ),
            tokens,
          ),
        { signal: this.controller.signal, attempt: 1 },
      );
      result = this.okResult(index, key, response, attempts, startedAt);
    } catch (error) {
      const failure = toLLMBatchError(error, 'connection');
      if (this.controller.signal.aborted && (failure.code === 'aborted' || failure.code === 'timeout')) {
        this.counters.inFlight--;
        this.counters.cancelled++;
        this.deliver(index, skipped);
        return;
      }
      result = this.errorResult(index, key, failure, attempts, startedAt);
    }
    this.counters.inFlight--;
    await this.settle(result);
  }

  private async attempt(
    context: PolicyContext,
    index: number,
    key: string,
    attempts: AttemptRecord[],
    call: () => Promise<ProviderResponse>,
    tokens: number,
  ): Promise<ProviderResponse> {
    const previous = attempts.at(-1);
    if (context.attempt > 1 && previous?.error !== undefined) {
      this.counters.retries++;
      this.emit('unit-retry', { index, key, attempt: context.attempt, error: previous.error });
    }
    await this.context.admit(tokens, context.signal);
    const startedAt = this.context.clock.now();
    try {
      const response = await call();
      attempts.push({
        attempt: context.attempt,
        durationMs: this.context.clock.now() - startedAt,
        usage: response.usage,
      });
      return response;
    } catch (error) {
      const failure = toLLMBatchError(error, 'connection');
      attempts.push({
        attempt: context.attempt,
        durationMs: this.context.clock.now() - startedAt,
        error: failure.toJSON(),
      });
      throw failure;
    }
  }

  private okResult(
    index: number,
    key: string,
    response: ProviderResponse,
    attempts: AttemptRecord[],
    startedAt: number,
  ): UnitResult {
    const usage = sumUsage(attempts);
    const parsed = parseOutput(response.text, this.context.job.output ?? 'json');
    const base = {
      index,
      key,
      raw: response.text,
      warnings: parsed.warnings,
      usage,
      cost: this.costOf(usage),
      attempts,
      durationMs: this.context.clock.now() - startedAt,
    };
    if (parsed.ok) return { ...base, status: 'ok', value: parsed.value };
    const error = new LLMBatchError({
      code: 'output-invalid',
      message: `unit ${key}: ${parsed.error}`,
      isRetryable: false,
      isAvailabilityFailure: false,
    });
    return { ...base, status: 'error', value: undefined, error: error.toJSON() };
  }

  private errorResult(
    index: number,
    key: string,
    error: LLMBatchError,
    attempts: AttemptRecord[],
    startedAt: number,
  ): UnitResult {
    const usage = sumUsage(attempts);
    return {
      index,
      key,
      status: 'error',
      value: undefined,
      raw: undefined,
      warnings: [],
      usage,
      cost: attempts.length === 0 ? 0 : this.costOf(usage),
      attempts,
      error: error.toJSON(),
      durationMs: startedAt === 0 ? 0 : this.context.clock.now() - startedAt,
    };
  }

  private costOf(usage: UnitResult['usage']): number | null {
    const cost = this.context.prices.cost(this.context.priceKey, usage);
    if (cost === null && !this.priceMissing) {
      this.priceMissing = true;
      this.context.logger.warn(
        { model: this.context.priceKey },
        `no price known for ${this.context.priceKey}: costs are reported as null (add a price override)`,
      );
    }
    return cost;
  }

  private async settle(result: UnitResult): Promise<void> {
    const { counters } = this;
    counters.done++;
    if (result.status === 'ok') counters.succeeded++;
    else counters.failed++;
    addUsage(counters.usage, result.usage);
    counters.cost = counters.cost === null || result.cost === null ? null : counters.cost + result.cost;
    try {
      await this.context.checkpoint?.markDone?.(result);
    } catch (error) {
      this.fail(error, 'checkpoint');
    }
    this.emit('unit-end', result);
    this.deliver(result.index, result);
  }

  private deliver(index: number, slot: Slot): void {
    if (this.context.ordered) {
      this.reorder.set(index, slot);
      while (this.reorder.has(this.nextIndex)) {
        const next = this.reorder.get(this.nextIndex);
        this.reorder.delete(this.nextIndex);
        this.nextIndex++;
        this.release(next);
      }
    } else {
      this.release(slot);
    }
    this.wakeDispatch?.();
    this.wakeConsumer?.();
  }

  private release(slot: Slot | undefined): void {
    if (slot === skipped || slot === undefined) this.outstanding--;
    else this.ready.push(slot);
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
    this.wakeDispatch?.();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.progressTimer);
    const { inFlight: _inFlight, ...counters } = this.counters;
    const summary: RunSummary = {
      ...counters,
      reason: this.endReason,
      notAttempted: counters.read - counters.done - counters.skipped,
      durationMs: this.context.clock.now() - this.startedAt,
      elapsedMs: this.context.clock.now() - this.startedAt,
    };
    if (this.endError !== undefined) summary.error = this.endError;
    this.emit('progress', this.progress());
    this.emit('run-end', summary);
    this.resolveSummary(summary);
    this.wakeConsumer?.();
  }
}

function unitKey(unit: Unit, index: number, keyField: string | undefined): string {
  if (unit === null || typeof unit !== 'object' || Array.isArray(unit)) {
    throw new LLMBatchError({
      code: 'invalid-unit',
      message: `unit at index ${index} is ${Array.isArray(unit) ? 'an array' : typeof unit}, expected a plain object`,
      details: { index },
    });
  }
  if (keyField === undefined) return String(index);
  let current: unknown = unit;
  for (const segment of keyField.split('.')) {
    current =
      current !== null && typeof current === 'object' && Object.hasOwn(current, segment)
        ? (current as Record<string, unknown>)[segment]
        : undefined;
  }
  if (typeof current === 'string' && current !== '') return current;
  if (typeof current === 'number' || typeof current === 'bigint') return String(current);
  throw new LLMBatchError({
    code: 'invalid-unit',
    message: `unit at index ${index} has no usable key field "${keyField}" (expected a non-empty string or a number)`,
    details: { index, keyField },
  });
}

function buildRequest(
  model: string,
  messages: ProviderRequest['messages'],
  job: JobSpec,
): Omit<ProviderRequest, 'signal'> {
  const request: Omit<ProviderRequest, 'signal'> = { model, messages };
  if (job.temperature !== undefined) request.temperature = job.temperature;
  if (job.maxTokens !== undefined) request.maxTokens = job.maxTokens;
  if (job.seed !== undefined) request.seed = job.seed;
  if (job.responseFormat !== undefined) request.responseFormat = job.responseFormat;
  if (job.headers !== undefined) request.headers = job.headers;
  return request;
}

/** Rough token demand of a request for the tokens-per-minute limiter: 4 characters a token plus the output bound. */
function estimateTokens(request: Omit<ProviderRequest, 'signal'>): number {
  let characters = 0;
  for (const message of request.messages) characters += message.content.length;
  return Math.ceil(characters / 4) + (request.maxTokens ?? 256);
}

function sumUsage(attempts: AttemptRecord[]): UnitResult['usage'] {
  const usage = emptyUsage();
  for (const attempt of attempts) if (attempt.usage !== undefined) addUsage(usage, attempt.usage);
  return usage;
}
