import v8 from 'node:v8';

/**
 * The V8 flags `llmbatch` runs with. A batch keeps a few hundred requests in flight for minutes to
 * hours, with a small live heap (tens of MB) and a high allocation rate; V8's defaults are tuned for
 * the opposite and cost a lot of memory here (measured in docs/benchmarks.md, section CLI):
 *
 * - `--max-semi-space-size=8`: V8 grows the young generation to 2 × 64 MiB on machines with 16 GiB or
 *   more, and any long allocation-heavy run reaches that size. 8 MiB semi-spaces hold a few thousand
 *   units' worth of short-lived objects, more than enough; the price is more frequent (cheap)
 *   young-generation collections.
 * - `--no-allocation-site-pretenuring`: when a collection finds nearly every object of an allocation
 *   site alive (a burst of requests in flight), V8 starts allocating that site's objects directly in the
 *   old generation for the rest of the run. For per-request objects that is wrong, and it moved most
 *   of each request's memory to the old generation (several times the heap growth, and more CPU).
 * - `--heap-growing-percent=50`: the old generation may grow to 1.5 × what is live before a full
 *   collection, instead of up to 4 × for a fast-allocating process. The live heap is small, so full
 *   collections stay cheap.
 *
 * `LLMBATCH_NODE_FLAGS` replaces the list (an empty value runs with Node's defaults); a flag already
 * given to Node (command line or `NODE_OPTIONS`) is never overridden. The restarted process also gets
 * {@link tunedEnvironment}.
 */
export const tunedNodeFlags: readonly string[] = [
  '--max-semi-space-size=8',
  '--no-allocation-site-pretenuring',
  '--heap-growing-percent=50',
];

/**
 * Environment the restarted process gets, unless already set (glibc reads both; other C libraries
 * ignore them):
 *
 * - `MALLOC_ARENA_MAX=2`: glibc gives every thread that allocates an arena of its own (up to 8 per
 *   core); V8's compiler and collector threads each fill one and keep what they freed, about 10 % of
 *   the process's memory on a long run. Two arenas are plenty for one JavaScript thread and its helpers.
 * - `MALLOC_MMAP_THRESHOLD_=32768`: Node allocates 64 KiB for every socket and file read and keeps
 *   only what the read filled. From the heap, those blocks leave holes that glibc cannot give back,
 *   and the main arena grows with the number of reads in flight; mapped on their own, each one is
 *   returned to the system when it is freed (−10 MiB peak on 100,000 rows, throughput unchanged —
 *   docs/benchmarks.md, section CLI).
 */
export const tunedEnvironment: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
};

/** Flags V8 also honours when set after start-up (`v8.setFlagsFromString`). */
const settableAtRuntime = new Set(['allocation-site-pretenuring', 'heap-growing-percent']);

/** What to do about V8 flags at start-up. */
export interface NodeFlagsPlan {
  /** Start again (same process, `execve`) with these flags added, or `undefined` to carry on. */
  restartWith: string[] | undefined;
  /** Flags to set in this process instead (when it cannot restart). */
  setNow: string[];
}

/** `--no-allocation-site-pretenuring` → `allocation-site-pretenuring`; `--max_semi_space_size=8` → `max-semi-space-size`. */
function flagName(flag: string): string {
  const name = flag.replace(/^--?/, '').split('=')[0] ?? '';
  return name.replaceAll('_', '-').replace(/^no-/, '');
}

/**
 * Decides which of the wanted flags to add: those Node was not already given. A process that can
 * restart itself in place gets all of them on a new command line (heap sizes only take effect at
 * start-up); one that cannot (Windows, Node without `process.execve`) sets what V8 accepts at run time.
 */
export function planNodeFlags(options: {
  env: NodeJS.ProcessEnv;
  execArgv: readonly string[];
  canRestart: boolean;
}): NodeFlagsPlan {
  const setting = options.env.LLMBATCH_NODE_FLAGS;
  const wanted = setting === undefined ? tunedNodeFlags : setting.split(/\s+/).filter((flag) => flag !== '');
  const given = new Set(
    [...options.execArgv, ...(options.env.NODE_OPTIONS ?? '').split(/\s+/)]
      .filter((flag) => flag.startsWith('-'))
      .map(flagName),
  );
  const missing = wanted.filter((flag) => !given.has(flagName(flag)));
  if (missing.length === 0) return { restartWith: undefined, setNow: [] };
  if (options.canRestart) return { restartWith: missing, setNow: [] };
  return { restartWith: undefined, setNow: missing.filter((flag) => settableAtRuntime.has(flagName(flag))) };
}

/**
 * Applies {@link planNodeFlags} to this process: restarts it in place with the flags (same process id,
 * open files and signals; nothing has run yet), or sets the run-time ones. Call it first thing in the
 * bin, before the command line's modules are loaded.
 */
export function applyNodeFlags(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve;
  const script = process.argv[1];
  const canRestart = typeof execve === 'function' && process.platform !== 'win32' && script !== undefined;
  const plan = planNodeFlags({ env: process.env, execArgv: process.execArgv, canRestart });
  let setNow = plan.setNow;
  if (plan.restartWith !== undefined && execve !== undefined && script !== undefined) {
    try {
      execve.call(
        process,
        process.execPath,
        [process.execPath, ...process.execArgv, ...plan.restartWith, script, ...process.argv.slice(2)],
        { ...tunedEnvironment, ...process.env },
      );
    } catch {
      // The restart was refused (rare: a sandbox): carry on with what can be set from here.
      setNow = planNodeFlags({ env: process.env, execArgv: process.execArgv, canRestart: false }).setNow;
    }
  }
  for (const flag of setNow) v8.setFlagsFromString(flag);
}
