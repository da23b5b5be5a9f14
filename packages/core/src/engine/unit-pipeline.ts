import { LLMBatchError, toLLMBatchError } from '../errors.js';
import { isPromise } from '../internal/is-promise.js';
import type { Unit, UnitResult } from '../types.js';
import { worstCaseCost } from './budget.js';
import { cacheKey, requestKey } from './dedup.js';
import type { CachedResult } from './result-cache.js';
import type { RunContext } from './run-context.js';
import { countReuse, type RunCounters } from './run-counters.js';
import { type CallHost, callUnit } from './unit-call.js';
import {
  answeredResult,
  buildRequest,
  failedResult,
  type PreparedRequest,
  reusedResult,
  unitKey,
} from './unit-results.js';

/** What the pipeline needs from its run. */
export interface PipelineHost extends CallHost {
  readonly counters: RunCounters;
  /** Queues a unit's calls under the run's concurrency. */
  enqueue(task: () => Promise<void>): void;
  /**
   * Counts a finished unit, tells the checkpoint, emits `unit-end` and hands it to the consumer; a
   * promise only while an asynchronous checkpoint store is being told.
   */
  settle(result: UnitResult): Promise<void> | undefined;
  /** A unit that ends without a result (skipped, cancelled, held back by the budget). */
  drop(index: number): void;
  /** A unit's calls are about to start (the `unit-start` event, when anyone listens). */
  unitStarted(index: number, key: string): void;
  /** The budget cannot fit the next unit: dispatch stops. */
  onBudgetExhausted(): void;
  /** No unit waits for an identical request any more. */
  onFollowersDone(): void;
}

/**
 * The way of one unit from the source to its result: key, checkpoint, rendering, dedup (reuse a
 * finished identical request or wait for one in flight), budget reservation, the queue, the result
 * cache, the calls, and the result.
 */
export class UnitPipeline {
  /** Units waiting for an identical request in flight; the run is not over while any wait. */
  followers = 0;
  /** The budget stopped dispatch. */
  stopped = false;

  constructor(
    private readonly context: RunContext,
    private readonly host: PipelineHost,
  ) {}

  /**
   * Takes one unit read from the source as far as the queue (or straight to its result). Returns a
   * promise only when it has to wait (an asynchronous checkpoint or budget), so the reading loop awaits
   * nothing per unit otherwise.
   */
  dispatch(index: number, unit: Unit): void | Promise<void> {
    let key: string;
    try {
      key = unitKey(unit, index, this.context.job.keyField);
    } catch (error) {
      return this.host.settle(
        failedResult(index, String(index), toLLMBatchError(error, 'invalid-unit'), [], 0),
      );
    }
    const checkpoint = this.context.checkpoint;
    if (checkpoint === undefined) return this.prepare(index, unit, key);
    let done: boolean | Promise<boolean>;
    try {
      done = checkpoint.isDone(key, index);
    } catch (error) {
      throw lookupFailed(key, error);
    }
    if (!isPromise(done)) return done ? this.skip(index) : this.prepare(index, unit, key);
    return done.then(
      (isDone) => (isDone ? this.skip(index) : this.prepare(index, unit, key)),
      (error: unknown) => {
        throw lookupFailed(key, error);
      },
    );
  }

  private skip(index: number): void {
    this.host.counters.skipped++;
    this.host.drop(index);
  }

  /** Renders the unit's request and sends it on. */
  private prepare(index: number, unit: Unit, key: string): void | Promise<void> {
    const { context } = this;
    let request: PreparedRequest;
    try {
      request = buildRequest(
        context.model,
        context.builder.build(unit, key),
        context.job,
        context.responseFormat,
      );
    } catch (error) {
      return this.host.settle(failedResult(index, key, toLLMBatchError(error, 'template'), [], 0));
    }
    const dedupKey =
      context.dedup === undefined && context.cache === undefined ? undefined : requestKey(request.messages);
    return this.send(index, key, request, dedupKey);
  }

  /** Reuses, follows or queues one unit's request; reserves its worst-case cost first. */
  private send(
    index: number,
    key: string,
    request: PreparedRequest,
    dedupKey: string | undefined,
  ): void | Promise<void> {
    const { dedup } = this.context;
    if (dedup !== undefined && dedupKey !== undefined) {
      const reused = dedup.reuse(dedupKey);
      if (reused !== undefined)
        return this.settleReused(index, key, reused, 'dedup', this.context.clock.now());
      const followed = dedup.followOrLead(dedupKey, (outcome) =>
        this.onLeaderDone(index, key, request, dedupKey, outcome),
      );
      if (followed) {
        this.followers++;
        return;
      }
    }
    const { budget, price } = this.context;
    if (budget === undefined || price === undefined) return this.enqueue(index, key, request, dedupKey, 0);
    const reserved = worstCaseCost(
      request,
      price,
      this.context.extraInputBytes,
      this.context.maxOutputTokens,
    );
    const fits = budget.reserve(reserved, this.host.signal);
    if (!isPromise(fits)) return this.afterReserve(fits, index, key, request, dedupKey, reserved);
    return fits.then((ok) => this.afterReserve(ok, index, key, request, dedupKey, reserved));
  }

  private afterReserve(
    fits: boolean,
    index: number,
    key: string,
    request: PreparedRequest,
    dedupKey: string | undefined,
    reserved: number,
  ): void {
    if (fits && !this.host.signal.aborted) {
      this.enqueue(index, key, request, dedupKey, reserved);
      return;
    }
    if (fits) this.context.budget?.settle(reserved, 0);
    else if (!this.host.signal.aborted && !this.stopped) {
      this.stopped = true;
      this.host.onBudgetExhausted();
      this.context.logger.warn(
        { maxCost: this.context.budget?.maxCost, spent: this.context.budget?.spent },
        'run stopped: the next unit could exceed maxCost',
      );
    }
    // Not attempted: not yielded, not marked done, so a rerun with a checkpoint sends it.
    if (dedupKey !== undefined) this.context.dedup?.finish(dedupKey, undefined);
    this.host.drop(index);
  }

  private enqueue(
    index: number,
    key: string,
    request: PreparedRequest,
    dedupKey: string | undefined,
    reserved: number,
  ): void {
    this.host.counters.inFlight++;
    this.host.enqueue(() => this.process(index, key, request, dedupKey, reserved));
  }

  private onLeaderDone(
    index: number,
    key: string,
    request: PreparedRequest,
    dedupKey: string,
    outcome: CachedResult | undefined,
  ): void {
    const done = () => {
      if (--this.followers === 0) this.host.onFollowersDone();
    };
    if (outcome !== undefined) {
      void this.settleReused(index, key, outcome, 'dedup', this.context.clock.now()).then(done);
      return;
    }
    if (this.host.signal.aborted || this.stopped) {
      this.host.drop(index);
      done();
      return;
    }
    // The leader failed and errors are never shared: this unit makes its own call.
    const sent = this.send(index, key, request, dedupKey);
    if (isPromise(sent)) void sent.then(done);
    else done();
  }

  private async process(
    index: number,
    key: string,
    request: PreparedRequest,
    dedupKey: string | undefined,
    reserved: number,
  ): Promise<void> {
    const { context, host } = this;
    const startedAt = context.clock.now();
    let outcome: CachedResult | undefined;
    try {
      host.unitStarted(index, key);
      if (context.cache !== undefined && dedupKey !== undefined) {
        const hit = await this.cacheGet(dedupKey);
        if (hit !== undefined) {
          context.budget?.settle(reserved, 0);
          host.counters.inFlight--;
          outcome = hit;
          await this.settleReused(index, key, hit, 'cache', startedAt);
          return;
        }
      }
      const attempts: UnitResult['attempts'] = [];
      let result: UnitResult;
      try {
        const { response, read } = await callUnit(context, host, index, key, request, attempts, reserved);
        result = answeredResult(index, key, response.text, read, attempts, context.clock.now() - startedAt);
      } catch (error) {
        const failure = toLLMBatchError(error, 'connection');
        if (host.signal.aborted && (failure.code === 'aborted' || failure.code === 'timeout')) {
          // Cancelled under the run: not a result, so a rerun with a checkpoint sends it again.
          host.counters.inFlight--;
          host.counters.cancelled++;
          host.drop(index);
          return;
        }
        result = failedResult(index, key, failure, attempts, context.clock.now() - startedAt);
      }
      host.counters.inFlight--;
      if (
        dedupKey !== undefined &&
        result.status === 'ok' &&
        result.value !== undefined &&
        result.raw !== undefined
      ) {
        const { value, raw, warnings, usage, cost } = result;
        outcome = { value, raw, warnings, usage, cost };
        if (context.cache !== undefined) await this.cacheSet(dedupKey, outcome);
      }
      const settled = host.settle(result);
      if (settled !== undefined) await settled;
    } finally {
      if (dedupKey !== undefined) context.dedup?.finish(dedupKey, outcome);
    }
  }

  private async cacheGet(dedupKey: string): Promise<CachedResult | undefined> {
    try {
      return await this.context.cache?.get(cacheKey(this.context.fingerprint, dedupKey));
    } catch (error) {
      this.context.logger.warn({ error: String(error) }, 'result cache lookup failed; calling the provider');
      return undefined;
    }
  }

  private async cacheSet(dedupKey: string, outcome: CachedResult): Promise<void> {
    try {
      await this.context.cache?.set(cacheKey(this.context.fingerprint, dedupKey), outcome);
    } catch (error) {
      this.context.logger.warn({ error: String(error) }, 'result cache store failed');
    }
  }

  private settleReused(
    index: number,
    key: string,
    reused: CachedResult,
    source: 'dedup' | 'cache',
    startedAt: number,
  ): Promise<void> {
    countReuse(this.host.counters, source, reused.cost);
    const settled = this.host.settle(reusedResult(index, key, reused, this.context.clock.now() - startedAt));
    return settled ?? Promise.resolve();
  }
}

function lookupFailed(key: string, error: unknown): LLMBatchError {
  return new LLMBatchError({
    code: 'checkpoint',
    message: `checkpoint lookup failed for unit ${key}`,
    cause: error,
  });
}
