import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError } from './errors.js';
import { createPathGuard } from './path-guard.js';
import { createJsonlSink } from './sinks/jsonl-sink.js';
import { rejectionOf, result, tempDir, writeIn } from './test-support/fixtures.js';

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await rejectionOf(promise);
  return AdapterError.isInstance(error) ? error.code : error;
}

async function layout() {
  const base = await tempDir();
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeIn(root, 'data.csv', 'a\n1\n');
  await writeIn(outside, 'secret.txt', 'secret\n');
  return { base, root, outside };
}

describe('createPathGuard: reading', () => {
  it('resolves a relative path against the root to its real path', async () => {
    const { root } = await layout();
    expect(await createPathGuard({ root }).resolveReadable('data.csv')).toBe(join(root, 'data.csv'));
  });

  it('accepts an absolute path inside the root', async () => {
    const { root } = await layout();
    expect(await createPathGuard({ root }).resolveReadable(join(root, 'data.csv'))).toBe(
      join(root, 'data.csv'),
    );
  });

  it('refuses ../../etc/passwd and an absolute path outside the root', async () => {
    const { root } = await layout();
    const guard = createPathGuard({ root });
    expect(await codeOf(guard.resolveReadable('../../etc/passwd'))).toBe('path-outside-root');
    expect(await codeOf(guard.resolveReadable('/etc/passwd'))).toBe('path-outside-root');
  });

  it('says outside, not missing, for a missing file outside the root (no probing)', async () => {
    const { root } = await layout();
    expect(await codeOf(createPathGuard({ root }).resolveReadable('../nope.csv'))).toBe('path-outside-root');
    expect(await codeOf(createPathGuard({ root }).resolveReadable('nope.csv'))).toBe('not-found');
  });

  it('refuses a symlink (file or directory) that points out of the root, and follows one that stays in', async () => {
    const { root, outside } = await layout();
    await symlink(join(outside, 'secret.txt'), join(root, 'link.csv'));
    await symlink(outside, join(root, 'dir-link'));
    await symlink(join(root, 'data.csv'), join(root, 'inside.csv'));
    const guard = createPathGuard({ root });
    expect(await codeOf(guard.resolveReadable('link.csv'))).toBe('path-outside-root');
    expect(await codeOf(guard.resolveReadable('dir-link/secret.txt'))).toBe('path-outside-root');
    expect(await guard.resolveReadable('inside.csv')).toBe(join(root, 'data.csv'));
  });

  it('works when the root itself is reached through a symlink', async () => {
    const { base, root } = await layout();
    await symlink(root, join(base, 'root-link'));
    const guard = createPathGuard({ root: join(base, 'root-link') });
    expect(await guard.resolveReadable(join(base, 'root-link', 'data.csv'))).toBe(join(root, 'data.csv'));
    expect(await codeOf(guard.resolveReadable(join(base, 'outside', 'secret.txt')))).toBe(
      'path-outside-root',
    );
  });

  it('refuses directories, FIFOs and devices', async () => {
    const { root } = await layout();
    execFileSync('mkfifo', [join(root, 'pipe.csv')]);
    await mkdir(join(root, 'folder.csv'));
    const guard = createPathGuard({ root });
    const fifo = await rejectionOf(guard.resolveReadable('pipe.csv'));
    expect(AdapterError.isInstance(fifo) && fifo.code).toBe('not-a-regular-file');
    expect(AdapterError.isInstance(fifo) && fifo.details?.kind).toBe('fifo');
    expect(await codeOf(guard.resolveReadable('folder.csv'))).toBe('not-a-regular-file');
    const device = await rejectionOf(createPathGuard().resolveReadable('/dev/null'));
    expect(AdapterError.isInstance(device) && device.details?.kind).toBe('character-device');
  });

  it('refuses empty paths and NUL bytes', async () => {
    const guard = createPathGuard();
    expect(await codeOf(guard.resolveReadable(''))).toBe('invalid-path');
    expect(await codeOf(guard.resolveReadable('data\0.csv'))).toBe('invalid-path');
  });

  it('refuses a root that does not exist', async () => {
    const { base } = await layout();
    expect(await codeOf(createPathGuard({ root: join(base, 'missing') }).resolveReadable('x'))).toBe(
      'invalid-options',
    );
  });
});

describe('createPathGuard: writing', () => {
  it('returns the target inside the real parent directory for a new file', async () => {
    const { root } = await layout();
    expect(await createPathGuard({ root }).resolveWritable('out.jsonl')).toBe(join(root, 'out.jsonl'));
  });

  it('refuses parents, symlinked parents and symlinked files outside the root', async () => {
    const { root, outside } = await layout();
    await symlink(outside, join(root, 'dir-link'));
    await symlink(join(outside, 'secret.txt'), join(root, 'out-link.jsonl'));
    const guard = createPathGuard({ root });
    expect(await codeOf(guard.resolveWritable('../out.jsonl'))).toBe('path-outside-root');
    expect(await codeOf(guard.resolveWritable('dir-link/out.jsonl'))).toBe('path-outside-root');
    expect(await codeOf(guard.resolveWritable('out-link.jsonl'))).toBe('path-outside-root');
  });

  it('refuses a dangling symlink, a directory, and a missing parent', async () => {
    const { root, outside } = await layout();
    await symlink(join(outside, 'not-yet.jsonl'), join(root, 'dangling.jsonl'));
    const guard = createPathGuard({ root });
    expect(await codeOf(guard.resolveWritable('dangling.jsonl'))).toBe('not-a-regular-file');
    expect(await codeOf(guard.resolveWritable('.'))).toBe('not-a-regular-file');
    expect(await codeOf(guard.resolveWritable('missing/out.jsonl'))).toBe('not-found');
  });

  it('keeps a file outside the root intact when a sink is pointed at it', async () => {
    const { root, outside } = await layout();
    await symlink(join(outside, 'secret.txt'), join(root, 'out.jsonl'));
    const error = await rejectionOf(createJsonlSink('out.jsonl', { root }));
    expect(AdapterError.isInstance(error) && error.code).toBe('path-outside-root');
    const again = await rejectionOf(createJsonlSink('../outside/secret.txt', { root }));
    expect(AdapterError.isInstance(again) && again.code).toBe('path-outside-root');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret\n');
    // The guard allows the sink inside the root.
    const sink = await createJsonlSink('inside.jsonl', { root });
    await sink.write(result());
    await sink.close();
    expect((await readFile(join(root, 'inside.jsonl'), 'utf8')).split('\n')).toHaveLength(2);
  });
});
