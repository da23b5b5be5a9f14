import { type SerializedError, toLLMBatchError } from '../errors.js';
import { isPromise } from '../internal/is-promise.js';
import type { ValidationIssue } from '../output/output-schema.js';
import { type OutputRead, readOutput, repairPrompt } from '../output/read-output.js';
import type { AttemptTicket } from '../policies/adaptive-concurrency.js';
import type { PolicyContext } from '../policies/policy.js';
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
  let current = request;
  let callReserved = reserved;
  for (let repairs = 0; ; repairs++) {
    const firstAttempt = attempts.length;
    const tokens = estimateTokens(current);
    let response: ProviderResponse;
    try {
      response = await context.policy.execute(
        (policyContext) =>
          attempt(context, host, policyContext, index, key, attempts, current, tokens, repairs > 0),
        { signal: host.signal, attempt: 1 },
      );
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
      const fits = context.budget.reserve(callReserved, host.signal);
      if (!(isPromise(fits) ? await fits : fits)) return { response, read };
    }
    host.onRepair(index, key, repairs + 1, read.issues);
    current = next;
  }
}

async function attempt(
  context: RunContext,
  host: CallHost,
  policyContext: PolicyContext,
  index: number,
  key: string,
  attempts: AttemptRecord[],
  request: PreparedRequest,
  tokens: number,
  repair: boolean,
): Promise<ProviderResponse> {
  const previous = attempts.at(-1);
  if (policyContext.attempt > 1 && previous?.error !== undefined) {
    host.onRetry(index, key, policyContext.attempt, previous.error);
  }
  await context.admit(tokens, policyContext.signal);
  let ticket: AttemptTicket | undefined;
  if (context.adaptive !== undefined) {
    const admitted = context.adaptive.acquire(tokens, policyContext.signal);
    ticket = isPromise(admitted) ? await admitted : admitted;
  }
  const startedAt = context.clock.now();
  try {
    const response = await context.timeout.execute(
      (inner) => context.provider.complete({ ...request, signal: inner.signal }),
      policyContext,
    );
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
    return response;
  } catch (error) {
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
    throw failure;
  }
}
