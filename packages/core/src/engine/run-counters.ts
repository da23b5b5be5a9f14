import { addUsage, emptyUsage, type RunProgress, type UnitResult, type Usage } from '../types.js';

/** The counters a run keeps; progress and the summary are views of them. */
export interface RunCounters {
  read: number;
  skipped: number;
  inFlight: number;
  done: number;
  succeeded: number;
  failed: number;
  retries: number;
  cancelled: number;
  dedupHits: number;
  cacheHits: number;
  savedCost: number | null;
  usage: Usage;
  cost: number | null;
}

/** Fresh counters. */
export function newCounters(): RunCounters {
  return {
    read: 0,
    skipped: 0,
    inFlight: 0,
    done: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    cancelled: 0,
    dedupHits: 0,
    cacheHits: 0,
    savedCost: 0,
    usage: emptyUsage(),
    cost: 0,
  };
}

/** Adds a finished unit to the counters. */
export function countResult(counters: RunCounters, result: UnitResult): void {
  counters.done++;
  if (result.status === 'ok') counters.succeeded++;
  else counters.failed++;
  addUsage(counters.usage, result.usage);
  counters.cost = counters.cost === null || result.cost === null ? null : counters.cost + result.cost;
}

/** Counts a unit answered by reuse, saving what its result first cost. */
export function countReuse(
  counters: RunCounters,
  source: 'dedup' | 'cache',
  originalCost: number | null,
): void {
  if (source === 'dedup') counters.dedupHits++;
  else counters.cacheHits++;
  counters.savedCost =
    counters.savedCost === null || originalCost === null ? null : counters.savedCost + originalCost;
}

/** The public progress view of the counters. */
export function progressOf(
  counters: RunCounters,
  extra: Pick<RunProgress, 'breaker' | 'concurrency' | 'elapsedMs'>,
): RunProgress {
  return {
    read: counters.read,
    skipped: counters.skipped,
    inFlight: counters.inFlight,
    done: counters.done,
    succeeded: counters.succeeded,
    failed: counters.failed,
    retries: counters.retries,
    usage: { ...counters.usage },
    cost: counters.cost,
    dedupHits: counters.dedupHits,
    cacheHits: counters.cacheHits,
    savedCost: counters.savedCost,
    ...extra,
  };
}
