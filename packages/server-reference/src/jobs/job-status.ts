import type { Queryable } from '../db/database.js';

/** Where a job is in its life. */
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelling' | 'cancelled';

/** Every status, in lifecycle order. */
export const jobStatuses: readonly JobStatus[] = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
];

/**
 * The only moves a job can make. `queued → cancelled` and `queued → failed` happen before any
 * worker ran it; `cancelling` waits for the workers to stop. A final job goes back to `queued`
 * only through `retry-failed`, which sends its failed (and never sent) units again.
 *
 * @example
 * ```ts
 * allowedTransitions.running; // ['completed', 'failed', 'cancelling']
 * ```
 */
export const allowedTransitions: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['completed', 'failed', 'cancelling'],
  cancelling: ['cancelled'],
  completed: ['queued'],
  failed: ['queued'],
  cancelled: ['queued'],
};

/** Statuses a job never leaves. */
export const finalStatuses: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

/**
 * True when a job may move from `from` to `to`.
 *
 * @example
 * ```ts
 * canTransition('completed', 'running'); // false
 * ```
 */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** Columns set along with a status change. */
export interface TransitionFields {
  /** Stamped on `running`. */
  startedAt?: Date;
  /** Stamped on a final status. */
  finishedAt?: Date;
  /** Why a job failed. */
  error?: { code: string; message: string };
  /** Units in the input, once known. */
  totalUnits?: number;
}

/**
 * Moves job `jobId` to `to`, atomically, only from a status that allows it. Returns the status the
 * job had before, or `undefined` when it was not in one of them (another process moved it first,
 * or the move is illegal); nothing changes then.
 *
 * @example
 * ```ts
 * const previous = await transitionJob(database, jobId, 'cancelling');
 * if (previous === undefined) throw conflict();
 * ```
 */
export async function transitionJob(
  queryable: Queryable,
  jobId: string,
  to: JobStatus,
  fields: TransitionFields = {},
): Promise<JobStatus | undefined> {
  const from = jobStatuses.filter((status) => canTransition(status, to));
  if (from.length === 0) return undefined;
  const { rows } = await queryable.query<{ previous: JobStatus }>(
    `UPDATE jobs AS j SET status = $2,
        started_at = COALESCE($3, j.started_at),
        finished_at = COALESCE($4, j.finished_at),
        error = COALESCE($5::jsonb, j.error),
        total_units = COALESCE($6, j.total_units),
        updated_at = now()
      FROM (SELECT id, status AS previous FROM jobs WHERE id = $1 FOR UPDATE) AS old
      WHERE j.id = old.id AND old.previous = ANY(string_to_array($7, ','))
      RETURNING old.previous`,
    [
      jobId,
      to,
      fields.startedAt ?? null,
      fields.finishedAt ?? null,
      fields.error === undefined ? null : JSON.stringify(fields.error),
      fields.totalUnits ?? null,
      from.join(','),
    ],
  );
  return rows[0]?.previous;
}
