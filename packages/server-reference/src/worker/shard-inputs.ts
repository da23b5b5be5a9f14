import { createHash } from 'node:crypto';
import { createJsonlSource, type Source } from '@llmbatch/adapters';
import type { Unit } from '@llmbatch/core';
import type { Database } from '../db/database.js';
import { finalStatuses } from '../jobs/job-status.js';
import { type ObjectKey, objectKeyFor, type StorageDriver } from '../storage/storage-driver.js';

/**
 * The input of each shard of a planned job is kept as its own object (JSON lines of the parsed
 * units), so a shard run reads only its own units instead of parsing the file up to them. The
 * objects live while the job can run and are swept once it is final.
 */

/** Longest unit line a shard input may hold (a 16 MB CSV record grows a little as JSON). */
const maxShardLineLength = 64 * 1024 * 1024;

/** Bytes gathered before a chunk goes to storage. */
const chunkBytes = 64 * 1024;

/**
 * The storage key of shard `shard`'s input: an id derived from the job id and the shard number, so
 * planning a job again writes the same objects instead of leaving old ones behind.
 *
 * @example
 * ```ts
 * const key = shardInputKey(job.org_id, job.id, 3);
 * ```
 */
export function shardInputKey(orgId: string, jobId: string, shard: number): ObjectKey {
  const hex = createHash('sha256').update(`llmbatch-shard-input:${jobId}:${shard}`).digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return objectKeyFor(orgId, id);
}

/** One shard written by {@link writeShardInputs}. */
export interface WrittenShard {
  shard: number;
  /** First unit index of the shard. */
  start: number;
  /** One past its last unit index. */
  end: number;
}

/**
 * Streams `units` into shard inputs of `shardSize` units each (the last may be shorter), calling
 * `onShard` after each object is stored and before the next is started. Stops early, without an
 * error, once `stopped()` says so. Returns the number of units read.
 *
 * @example
 * ```ts
 * const total = await writeShardInputs(storage, job.org_id, job.id, units, 2500, () => false, recordShard);
 * ```
 */
export async function writeShardInputs(
  storage: StorageDriver,
  orgId: string,
  jobId: string,
  units: AsyncIterable<Unit>,
  shardSize: number,
  stopped: () => boolean,
  onShard: (written: WrittenShard) => Promise<void>,
): Promise<number> {
  const iterator = units[Symbol.asyncIterator]();
  let read = 0;
  let next = await iterator.next();
  try {
    for (let shard = 0; next.done !== true && !stopped(); shard += 1) {
      const start = read;
      const encoder = new TextEncoder();
      async function* lines(): AsyncGenerator<Uint8Array> {
        let text = '';
        while (next.done !== true && read - start < shardSize) {
          text += `${JSON.stringify(next.value)}\n`;
          read += 1;
          if (text.length >= chunkBytes) {
            yield encoder.encode(text);
            text = '';
          }
          next = await iterator.next();
        }
        if (text !== '') yield encoder.encode(text);
      }
      await storage.write(shardInputKey(orgId, jobId, shard), lines(), { maxBytes: Number.MAX_SAFE_INTEGER });
      await onShard({ shard, start, end: read });
    }
  } finally {
    if (next.done !== true) await iterator.return?.();
  }
  return read;
}

/**
 * The units of one shard, read back from its stored input.
 *
 * @example
 * ```ts
 * for await (const unit of readShardInput(storage, job.org_id, job.id, 3)) console.log(unit);
 * ```
 */
export function readShardInput(storage: StorageDriver, orgId: string, jobId: string, shard: number): Source {
  return createJsonlSource(() => storage.read(shardInputKey(orgId, jobId, shard)), {
    maxRecordLength: maxShardLineLength,
  });
}

/**
 * Removes the shard inputs of one job that reached a final status, if any is left; returns the
 * job's id, or undefined when there was nothing to sweep. The job row is locked meanwhile, so a
 * `retry-failed` (which plans the job again) waits until the sweep is over.
 *
 * @example
 * ```ts
 * while ((await sweepShardInputs(database, storage)) !== undefined);
 * ```
 */
export async function sweepShardInputs(
  database: Database,
  storage: StorageDriver,
): Promise<string | undefined> {
  return database.transaction(async (transaction) => {
    // Driven by the partial index on stored shards: cheap however many jobs ended long ago.
    const { rows } = await transaction.query<{ id: string; org_id: string }>(
      `SELECT j.id, j.org_id FROM jobs AS j
        WHERE j.id IN (SELECT DISTINCT job_id FROM job_shards WHERE input_stored)
          AND j.status = ANY(string_to_array($1, ','))
        LIMIT 1 FOR UPDATE OF j SKIP LOCKED`,
      [[...finalStatuses].join(',')],
    );
    const job = rows[0];
    if (job === undefined) return undefined;
    const { rows: shards } = await transaction.query<{ shard: number }>(
      'SELECT shard FROM job_shards WHERE job_id = $1 AND input_stored',
      [job.id],
    );
    for (const { shard } of shards) await storage.remove(shardInputKey(job.org_id, job.id, shard));
    await transaction.query('UPDATE job_shards SET input_stored = false WHERE job_id = $1', [job.id]);
    return job.id;
  });
}
