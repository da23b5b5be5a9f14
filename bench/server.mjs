#!/usr/bin/env node
// Server benchmark: one CSV job end to end through the HTTP API of the built `@llmbatch/server`
// (upload → job → wait → every result downloaded and checked) against the fake provider in its own
// process, on the embedded database (PGlite, `all` mode, one process) and on a real Postgres with one
// API process and 1 or 2 worker processes; beside the engine alone (`bench/lib/engine-worker.mjs`
// against the same fake provider), in the same run.
//
//   node bench/server.mjs [--units 100000] [--latency-units 20000] [--latency 0,50] [--concurrency 64]
//                         [--latency-concurrency 16]
//                         [--engine-concurrency 64] [--repeats 1] [--configs embedded,postgres-1,postgres-2] [--poll-ms 1000]
//                         [--database-url postgres://postgres@127.0.0.1:5432/test] [--no-engine]
//                         [--server-env NAME=VALUE ...] [--job '{"maxParallelShards":2}'] [--json FILE]
//
// --units is the job size at 0 ms latency, --latency-units at every other latency; the engine alone
// runs with --engine-concurrency (default: the job's --concurrency). --server-env adds
// variables to every server process (worker tuning); --job adds fields to every POST /v1/jobs body.
//
// Progress goes to stderr; the markdown report to stdout. Needs the built packages (`pnpm run -s build`)
// and, for the postgres configurations, a Postgres where the given user may create databases.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nonNegative, positive } from './lib/args.mjs';
import { median } from './lib/measure.mjs';
import { processCpuSeconds, startFakeProviderProcess } from './lib/processes.mjs';
import { createJob, downloadResults, setUpTenant, uploadFile, waitForJob } from './lib/server-client.mjs';
import {
  backendPids,
  createBenchDatabase,
  defaultAdminUrl,
  postgresAnswers,
  postgresVersion,
} from './lib/server-database.mjs';
import {
  guardChildren,
  machineBusyShare,
  machineCpuTicks,
  onInterrupt,
  peakRssBytes,
  runTrackedJsonChild,
  serverBin,
  startServerProcess,
  trackPid,
} from './lib/server-processes.mjs';
import { serverReport } from './lib/server-report.mjs';
import { serverJob } from './lib/server-workload.mjs';
import { writeUnitsCsv } from './lib/workload.mjs';

const engineWorker = fileURLToPath(new URL('./lib/engine-worker.mjs', import.meta.url));

/** The configurations, by the name `--configs` takes. */
export const configurations = {
  embedded: { label: 'embedded PGlite, `all` (1 process)', postgres: false, workers: 0 },
  'postgres-1': { label: 'Postgres, 1 api + 1 worker', postgres: true, workers: 1 },
  'postgres-2': { label: 'Postgres, 1 api + 2 workers', postgres: true, workers: 2 },
};

const options = {
  units: { type: 'string', default: '100000' },
  'latency-units': { type: 'string', default: '20000' },
  latency: { type: 'string', default: '0,50' },
  concurrency: { type: 'string', default: '64' },
  'latency-concurrency': { type: 'string', default: '16' },
  'engine-concurrency': { type: 'string' },
  repeats: { type: 'string', default: '1' },
  configs: { type: 'string', default: Object.keys(configurations).join(',') },
  'poll-ms': { type: 'string', default: '1000' },
  'database-url': { type: 'string', default: defaultAdminUrl },
  'no-engine': { type: 'boolean', default: false },
  'server-env': { type: 'string', multiple: true, default: [] },
  job: { type: 'string', default: '{}' },
  json: { type: 'string' },
};

/**
 * Runs the server benchmark with command-line style arguments and prints the markdown report.
 *
 * @example
 * await main(['--units', '10000', '--latency-units', '2000', '--configs', 'embedded']);
 */
export async function main(argv = process.argv.slice(2)) {
  const { values } = parseArgs({ args: argv, options, strict: true });
  const settings = {
    units: positive(values.units, '--units'),
    latencyUnits: positive(values['latency-units'], '--latency-units'),
    latencies: values.latency.split(',').map((value) => nonNegative(value, '--latency')),
    concurrency: positive(values.concurrency, '--concurrency'),
    engineConcurrency: positive(values['engine-concurrency'] ?? values.concurrency, '--engine-concurrency'),
    latencyConcurrency: positive(values['latency-concurrency'], '--latency-concurrency'),
    repeats: positive(values.repeats, '--repeats'),
    configs: values.configs.split(',').map((name) => {
      if (!(name in configurations)) {
        throw new Error(`--configs: unknown "${name}"; known: ${Object.keys(configurations).join(', ')}`);
      }
      return name;
    }),
    pollMs: positive(values['poll-ms'], '--poll-ms'),
    adminUrl: values['database-url'],
    engine: !values['no-engine'],
    jobFields: jobFields(values.job),
    serverEnvironment: Object.fromEntries(
      values['server-env'].map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new Error(`--server-env takes NAME=VALUE, got "${pair}"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
  };
  if (settings.concurrency > 256) throw new Error('--concurrency: a job allows at most 256');
  if (settings.latencyConcurrency > 256) throw new Error('--latency-concurrency: a job allows at most 256');
  guardChildren();
  const startedAt = process.hrtime.bigint();
  const loadAtStart = loadavg();
  const date = new Date().toISOString();
  const serverBuiltAt = statSync(serverBin).mtime.toISOString();
  let postgres;
  if (settings.configs.some((name) => configurations[name].postgres)) {
    if (!(await postgresAnswers(settings.adminUrl))) {
      throw new Error(
        `no Postgres answers at ${settings.adminUrl} (set --database-url or leave out the postgres configurations)`,
      );
    }
    postgres = await postgresVersion(settings.adminUrl);
  }

  const directory = await mkdtemp(join(tmpdir(), 'llmbatch-bench-server-'));
  const forgetDirectory = onInterrupt(() => rm(directory, { recursive: true, force: true }));
  const results = [];
  try {
    for (const latencyMs of settings.latencies) {
      const units = latencyMs === 0 ? settings.units : settings.latencyUnits;
      const csv = join(directory, `units-${units}.csv`);
      await writeUnitsCsv(csv, units);
      const runs = { engine: [] };
      for (const name of settings.configs) runs[name] = [];
      // With latency, the job (and the engine alone) runs at --latency-concurrency: low enough that
      // the latency, not this machine's CPUs, bounds throughput — the regime the scaling target is about.
      const run =
        latencyMs === 0
          ? settings
          : {
              ...settings,
              concurrency: settings.latencyConcurrency,
              engineConcurrency: settings.latencyConcurrency,
            };
      for (let repeat = 1; repeat <= settings.repeats; repeat++) {
        if (settings.engine)
          runs.engine.push(await measureEngine({ latencyMs, units, settings: run, repeat }));
        for (const name of settings.configs) {
          runs[name].push(await measureServer({ name, latencyMs, units, csv, settings: run, repeat }));
        }
      }
      results.push({ latencyMs, units, concurrency: run.concurrency, runs, summary: summarise(runs) });
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
    forgetDirectory();
  }

  const totalSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    postgres,
    revision: revision(),
    date,
    serverBuiltAt,
    // Someone rebuilding the packages mid-run would mix two servers in one report: say so.
    serverRebuiltAt:
      statSync(serverBin).mtime.toISOString() === serverBuiltAt
        ? undefined
        : statSync(serverBin).mtime.toISOString(),
    loadAtStart,
    loadAtEnd: loadavg(),
  };
  const result = { settings, machine, results, totalSeconds };
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(serverReport(result));
  return result;
}

/** The engine alone: `engine-worker.mjs --mode engine` against a fresh fake provider process. */
async function measureEngine({ latencyMs, units, settings, repeat }) {
  const fake = await startFakeProviderProcess({ latencyMs });
  const untrack = trackPid(fake.pid);
  let figures;
  let stats;
  const ticksBefore = await machineCpuTicks();
  try {
    figures = await runTrackedJsonChild(engineWorker, [
      '--mode',
      'engine',
      '--url',
      fake.url,
      '--units',
      String(units),
      '--concurrency',
      String(settings.engineConcurrency),
    ]);
  } finally {
    stats = await fake.stop();
    untrack();
  }
  if (figures.failed > 0) throw new Error(`engine alone: ${figures.failed} of ${units} units failed`);
  const rowsPerSecond = units / figures.seconds;
  log(
    `engine alone ${latencyMs} ms n=${units} #${repeat}: ${rowsPerSecond.toFixed(0)} rows/s, ` +
      `${figures.cpuSeconds.toFixed(1)} CPU s, ${mebibytes(figures.peakRssBytes)} MiB peak RSS`,
  );
  return {
    rowsPerSecond,
    processingRowsPerSecond: rowsPerSecond,
    seconds: figures.seconds,
    cpuSeconds: figures.cpuSeconds,
    peakRssBytes: figures.peakRssBytes,
    busyShare: machineBusyShare(ticksBefore, await machineCpuTicks()),
    maxInFlight: stats.maxInFlight,
    requests: stats.received,
  };
}

/** One job end to end on a fresh server (fresh database, data folder and fake provider). */
async function measureServer({ name, latencyMs, units, csv, settings, repeat }) {
  const configuration = configurations[name];
  const fake = await startFakeProviderProcess({ latencyMs });
  const untrack = trackPid(fake.pid);
  const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-bench-server-data-'));
  const processes = [];
  let database;
  let stats;
  let forgetCleanup;
  try {
    database = configuration.postgres ? await createBenchDatabase(settings.adminUrl) : undefined;
    forgetCleanup = onInterrupt(async () => {
      await database?.drop();
      await rm(dataDirectory, { recursive: true, force: true });
    });
    const environment = {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      LLMBATCH_DATA_DIR: dataDirectory,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
      ...(database === undefined ? {} : { DATABASE_URL: database.url }),
      ...settings.serverEnvironment,
    };
    if (configuration.postgres) {
      // The API applies the migrations; workers start after it, so they find them applied.
      processes.push(await startServerProcess({ command: 'api', environment, label: 'api' }));
      processes.push(
        ...(await Promise.all(
          Array.from({ length: configuration.workers }, (_, index) =>
            startServerProcess({ command: 'worker', environment, label: `worker ${index + 1}` }),
          ),
        )),
      );
    } else {
      processes.push(await startServerProcess({ command: 'all', environment, label: 'all' }));
    }
    const api = processes[0];
    const tenant = await setUpTenant(api.url, `${fake.url}/v1`);

    const cpuBefore = await Promise.all(processes.map((child) => processCpuSeconds(child.pid)));
    const backendsBefore = await backendCpu(settings.adminUrl, database);
    const ticksBefore = await machineCpuTicks();
    const clockStart = performance.now();
    const file = await uploadFile(api.url, tenant.token, csv);
    const uploadSeconds = (performance.now() - clockStart) / 1000;
    const created = await createJob(api.url, tenant.token, {
      ...serverJob,
      fileId: file.id,
      providerKeyId: tenant.providerKeyId,
      concurrency: settings.concurrency,
      ...settings.jobFields,
    });
    let lastLog = performance.now();
    const finished = await waitForJob(api.url, tenant.token, created.id, {
      units,
      pollMs: settings.pollMs,
      onPoll: (job) => {
        if (performance.now() - lastLog < 15_000) return;
        lastLog = performance.now();
        const done = job.counts.succeeded + job.counts.failed;
        log(`  ${name} ${latencyMs} ms: ${job.status}, ${done} of ${units} units`);
        for (const child of processes) {
          if (!child.alive()) throw new Error(`${child.label} died mid-job:\n${child.tail()}`);
        }
      },
    });
    const completedAt = performance.now();
    const download = await downloadResults(api.url, tenant.token, created.id, units);
    const endToEndSeconds = (performance.now() - clockStart) / 1000;
    const downloadSeconds = (performance.now() - completedAt) / 1000;
    const busyShare = machineBusyShare(ticksBefore, await machineCpuTicks());
    const cpuAfter = await Promise.all(processes.map((child) => processCpuSeconds(child.pid)));
    const peaks = await Promise.all(processes.map((child) => peakRssBytes(child.pid)));
    const backendsAfter = await backendCpu(settings.adminUrl, database);
    stats = await fake.stop();
    if (download.failed > 0) {
      throw new Error(
        `${name}: ${download.failed} of ${units} units failed: ${JSON.stringify(download.firstError)}`,
      );
    }
    if (stats.received !== units) {
      // More requests than units: retries, or units sent again after a shard changed hands.
      log(`  ${name}: the fake provider received ${stats.received} requests for ${units} units`);
    }
    if (finished.counts.total !== null && finished.counts.total !== units) {
      throw new Error(`${name}: the job counted ${finished.counts.total} units, the file has ${units}`);
    }
    const processingSeconds = (Date.parse(finished.finishedAt) - Date.parse(finished.startedAt)) / 1000;
    const perProcess = processes.map((child, index) => ({
      label: child.label,
      command: child.command,
      cpuSeconds:
        cpuBefore[index] === undefined || cpuAfter[index] === undefined
          ? undefined
          : cpuAfter[index] - cpuBefore[index],
      peakRssBytes: peaks[index],
    }));
    const figures = {
      rowsPerSecond: units / endToEndSeconds,
      processingRowsPerSecond: units / processingSeconds,
      seconds: endToEndSeconds,
      uploadSeconds,
      queueSeconds: (Date.parse(finished.startedAt) - Date.parse(finished.createdAt)) / 1000,
      processingSeconds,
      downloadSeconds,
      downloadBytes: download.bytes,
      busyShare,
      postgresCpuSeconds: cpuDifference(backendsBefore, backendsAfter),
      maxInFlight: stats.maxInFlight,
      requests: stats.received,
      processes: perProcess,
    };
    // The workers: every process that runs jobs (in `all` mode the one process).
    const runners = perProcess.filter((entry) => entry.command !== 'api');
    log(
      `${name} ${latencyMs} ms n=${units} #${repeat}: ${figures.rowsPerSecond.toFixed(0)} rows/s end to end ` +
        `(${endToEndSeconds.toFixed(1)} s: upload ${uploadSeconds.toFixed(1)}, queued ${figures.queueSeconds.toFixed(1)}, ` +
        `processing ${processingSeconds.toFixed(1)} = ${figures.processingRowsPerSecond.toFixed(0)} rows/s, ` +
        `download ${downloadSeconds.toFixed(1)}); worker peak RSS ${runners.map((entry) => mebibytes(entry.peakRssBytes)).join(' + ')} MiB, ` +
        `CPU ${perProcess.map((entry) => `${entry.label} ${entry.cpuSeconds?.toFixed(1) ?? '?'} s`).join(', ')}` +
        (figures.postgresCpuSeconds === undefined
          ? ''
          : `, Postgres backends ${figures.postgresCpuSeconds.toFixed(1)} s`) +
        '; ' +
        `fake provider: ${stats.received} requests, at most ${stats.maxInFlight} in flight` +
        (busyShare === undefined ? '' : `; machine ${(busyShare * 100).toFixed(0)} % busy`),
    );
    return figures;
  } catch (error) {
    for (const child of processes) {
      if (!child.alive()) log(`${child.label} had exited; its last lines:\n${child.tail()}`);
    }
    throw error;
  } finally {
    // Workers first, so none is left holding a job against a stopped API or a dropped database.
    for (const child of processes.slice().reverse()) await child.stop();
    if (stats === undefined) await fake.stop();
    untrack();
    await database?.drop();
    await rm(dataDirectory, { recursive: true, force: true });
    forgetCleanup?.();
  }
}

/** CPU seconds so far of each Postgres backend serving `database`, by pid (undefined for PGlite). */
async function backendCpu(adminUrl, database) {
  if (database === undefined) return undefined;
  const pids = await backendPids(adminUrl, database.name);
  const entries = await Promise.all(pids.map(async (pid) => [pid, await processCpuSeconds(pid)]));
  return new Map(entries.filter(([, seconds]) => seconds !== undefined));
}

/** CPU the backends used between two readings; backends that closed in between are missed. */
function cpuDifference(before, after) {
  if (before === undefined || after === undefined || after.size === 0) return undefined;
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

function summarise(runs) {
  const summary = {};
  for (const [name, list] of Object.entries(runs)) {
    if (list.length === 0) continue;
    const pick = (read) => {
      const values = list.map(read).filter((value) => value !== undefined);
      return values.length === 0 ? undefined : median(values);
    };
    summary[name] = {
      rowsPerSecond: pick((run) => run.rowsPerSecond),
      processingRowsPerSecond: pick((run) => run.processingRowsPerSecond),
      seconds: pick((run) => run.seconds),
      uploadSeconds: pick((run) => run.uploadSeconds),
      queueSeconds: pick((run) => run.queueSeconds),
      processingSeconds: pick((run) => run.processingSeconds),
      downloadSeconds: pick((run) => run.downloadSeconds),
      busyShare: pick((run) => run.busyShare),
      postgresCpuSeconds: pick((run) => run.postgresCpuSeconds),
      maxInFlight: pick((run) => run.maxInFlight),
      cpuSeconds: pick((run) => run.cpuSeconds),
      peakRssBytes: pick((run) => run.peakRssBytes),
      // Per process, by position (api, worker 1, worker 2 / all): medians over the repeats.
      processes: list[0].processes?.map((entry, index) => ({
        label: entry.label,
        command: entry.command,
        cpuSeconds: pick((run) => run.processes[index].cpuSeconds),
        peakRssBytes: pick((run) => run.processes[index].peakRssBytes),
      })),
      runs: list.map((run) => run.rowsPerSecond),
    };
  }
  return summary;
}

/** The commit the bench ran on, and whether packages/ had uncommitted changes (read-only git). */
function revision() {
  try {
    const git = (...args) =>
      execFileSync('git', args, {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        encoding: 'utf8',
      }).trim();
    const changed = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length;
    return { commit: git('rev-parse', '--short', 'HEAD'), changedFilesInPackages: changed };
  } catch {
    return undefined;
  }
}

function jobFields(text) {
  let fields;
  try {
    fields = JSON.parse(text);
  } catch (error) {
    throw new Error(`--job must be a JSON object, got "${text}": ${error.message}`);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new Error(`--job must be a JSON object, got "${text}"`);
  }
  return fields;
}

function mebibytes(bytes) {
  return bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(0);
}

function log(line) {
  process.stderr.write(`[server] ${line}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
