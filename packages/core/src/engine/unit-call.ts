import { type LLMBatchError, type SerializedError, toLLMBatchError } from '../errors.js';
import { isPromise } from '../internal/is-promise.js';
import { abortedError } from '../internal/policies-abort.js';
import type { ValidationIssue } from '../output/output-schema.js';
import { type OutputRead, readOutput, repairPrompt } from '../output/read-output.js';
import type { AttemptTicket } from '../policies/adaptive-concurrency.js';
import { callWithDeadline } from '../policies/timeout.js';
import type { ProviderResponse, RateLimitInfo } from '../providers/provider.js';
import type { AttemptRecord } from '../types.js';
import { worstCaseCost } from './budget.js';
import type { RunContext } from './run-context.js';
import { estimateTokens, type PreparedRequest, sumCost } from './unit-results.js';

/** What the run hears from a unit's calls. */
export interface CallHost {
  /** Aborts when the run is cancelled. */
  readonly signal: AbortSignal;
  /** A failed attempt is about to be tried again. */
  onRetry(index: number, key: string, attempt: number, error: SerializedError): void;
  /** Invalid output is about to be re-asked. */
  onRepair(index: number, key: string, repair: number, issues: ValidationIssue[]): void;
}

/** A unit's answer: the last response and how its output reads. */
export interface CallOutcome {
  response: ProviderResponse;
  read: OutputRead;
}

/**
 * Calls the provider for one unit under the run's policies, records every attempt in `attempts`, and
 * re-asks the model with the validation errors while its output fails the job's schema (up to
 * `maxRepairAttempts`). Each call reserves its worst case from the budget first (the first call's
 * reservation, `reserved`, is made by the run at dispatch) and settles its real cost when it ends.
 * Throws the final provider error.
 *
 * The policies run inline, in this one function: the circuit breaker around the call (it counts the
 * outcome after retries), the retry loop inside it, and per attempt the rate limiter, the adaptive
 * controller and the deadline. Composing them as `Policy` objects would keep an async frame, a promise
 * and a few closures per policy alive for as long as each call is in flight; with hundreds of calls in
 * flight that is what survives young-generation collections and gets promoted to the old generation.
 */
export async function callUnit(
  context: RunContext,
  host: CallHost,
  index: number,
  key: string,
  request: PreparedRequest,
  attempts: AttemptRecord[],
  reserved: number,
): Promise<CallOutcome> {
  const signal = host.signal;
  let current = request;
  let callReserved = reserved;
  for (let repairs = 0; ; repairs++) {
    const firstAttempt = attempts.length;
    const tokens = estimateTokens(current);
    let response: ProviderResponse;
    try {
      const entered = context.breaker.enter(signal);
      const admission = isPromise(entered) ? await entered : entered;
      try {
        let errors: LLMBatchError[] | undefined;
        for (let attempt = 1; ; attempt++) {
          if (signal.aborted) throw abortedError(signal);
          try {
            if (attempt > 1) {
              const previous = attempts.at(-1);
              if (previous?.error !== undefined) host.onRetry(index, key, attempt, previous.error);
            }
            const admitted = context.admit(tokens, signal);
            if (admitted !== undefined) await admitted;
            let ticket: AttemptTicket | undefined;
            if (context.adaptive !== undefined) {
              const acquired = context.adaptive.acquire(tokens, signal);
              ticket = isPromise(acquired) ? await acquired : acquired;
            }
            const startedAt = context.clock.now();
            const sent = current;
            try {
              response = await callWithDeadline(signal, context.deadlines, (attemptSignal) =>
                context.provider.complete({ ...sent, signal: attemptSignal }),
              );
            } catch (error) {
              throw recordFailure(context, attempts, error, ticket, startedAt, repairs > 0);
            }
            recordAnswer(context, attempts, response, ticket, startedAt, repairs > 0);
            break;
          } catch (error) {
            errors ??= [];
            await context.retry.afterFailure(error, attempt, errors, signal);
          }
        }
      } catch (error) {
        context.breaker.leave(admission, error, signal);
        throw error;
      }
      context.breaker.leave(admission, undefined, signal);
    } finally {
      context.budget?.settle(callReserved, sumCost(attempts, firstAttempt));
    }
    const read = readOutput(response.text, context.job.output ?? 'json', context.schema);
    if (read.ok || context.schema === undefined) return { response, read };
    const last = attempts.at(-1);
    if (last !== undefined) last.issues = read.issues;
    if (repairs >= context.maxRepairAttempts) return { response, read };
    const next: PreparedRequest = {
      ...current,
      messages: [
        ...current.messages,
        { role: 'assistant', content: response.text === '' ? '(empty answer)' : response.text },
        { role: 'user', content: repairPrompt(read.issues) },
      ],
    };
    if (context.budget !== undefined && context.price !== undefined) {
      callReserved = worstCaseCost(next, context.price, context.extraInputBytes, context.maxOutputTokens);
      const fits = context.budget.reserve(callReserved, signal);
      if (!(isPromise(fits) ? await fits : fits)) return { response, read };
    }
    host.onRepair(index, key, repairs + 1, read.issues);
    current = next;
  }
}

/** Records an answered attempt and tells the adaptive controller. */
function recordAnswer(
  context: RunContext,
  attempts: AttemptRecord[],
  response: ProviderResponse,
  ticket: AttemptTicket | undefined,
  startedAt: number,
  repair: boolean,
): void {
  const durationMs = context.clock.now() - startedAt;
  if (ticket !== undefined) {
    context.adaptive?.end(ticket, {
      rateLimited: false,
      rateLimit: response.rateLimit,
      latencyMs: durationMs,
    });
  }
  const record: AttemptRecord = {
    attempt: attempts.length + 1,
    durationMs,
    usage: response.usage,
    cost: context.priceKnown ? context.prices.cost(context.priceKey, response.usage) : null,
  };
  if (repair) record.repair = true;
  attempts.push(record);
}

/** Records a failed attempt, tells the adaptive controller, and returns the error to throw. */
function recordFailure(
  context: RunContext,
  attempts: AttemptRecord[],
  error: unknown,
  ticket: AttemptTicket | undefined,
  startedAt: number,
  repair: boolean,
): LLMBatchError {
  const failure = toLLMBatchError(error, 'connection');
  if (ticket !== undefined) {
    const rateLimit = failure.details?.rateLimit as RateLimitInfo | undefined;
    context.adaptive?.end(ticket, {
      rateLimited: failure.code === 'rate-limited',
      rateLimit,
      latencyMs: undefined,
    });
  }
  const record: AttemptRecord = {
    attempt: attempts.length + 1,
    durationMs: context.clock.now() - startedAt,
    error: failure.toJSON(),
  };
  if (repair) record.repair = true;
  attempts.push(record);
  return failure;
}
