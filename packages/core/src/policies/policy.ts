/** Context handed through the policy chain to the function that does the work. */
export interface PolicyContext {
  /** Aborts when the caller cancels or a policy gives up (timeout). Pass it to the HTTP request. */
  signal: AbortSignal;
  /** 1-based attempt number; a retry policy increases it for the policies inside it. */
  attempt: number;
}

/**
 * A resilience policy: runs `fn` under one rule (timeout, retry, breaker, rate limit).
 * A policy passes a context to `fn` that keeps `attempt` unless it is the one that retries, and a
 * `signal` that aborts at least when the outer one does. Policies compose with {@link wrap}.
 *
 * @example
 * ```ts
 * const policy = wrap(retry, breaker, timeout);
 * const value = await policy.execute(({ signal }) => provider.complete({ ...request, signal }), {
 *   signal: runSignal,
 *   attempt: 1,
 * });
 * ```
 */
export interface Policy {
  /** Runs `fn` under this policy's rule. */
  execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T>;
}

/**
 * Composes policies: the first is outermost. `wrap(retry, breaker, timeout)` retries calls that go
 * through the breaker, each attempt bounded by the timeout.
 *
 * @example
 * ```ts
 * const policy = wrap(createRetryPolicy({ maxRetries: 3 }), createTimeoutPolicy({ timeoutMs: 30_000 }));
 * ```
 */
export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
      const run = (level: number, current: PolicyContext): Promise<T> => {
        const policy = policies[level];
        return policy === undefined ? fn(current) : policy.execute((inner) => run(level + 1, inner), current);
      };
      return run(0, context);
    },
  };
}
