import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from './start-fake-provider.js';

let server: FakeProvider | undefined;
let pool: Pool | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await pool?.destroy();
  await server?.close();
  pool = undefined;
  server = undefined;
});

async function start(options: Parameters<typeof startFakeProvider>[0] = {}) {
  const fake = await startFakeProvider(options);
  server = fake;
  const client = new Pool(fake.url, { connections: 8 });
  pool = client;
  const send = async (userText: string, signal?: AbortSignal) => {
    const response = await client.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: userText }] }),
      ...(signal === undefined ? {} : { signal }),
    });
    await response.body.text();
    return response.statusCode;
  };
  return { fake, send };
}

describe('latency', () => {
  it('waits latencyMs before answering', async () => {
    const { fake, send } = await start({ latencyMs: 150 });
    const started = performance.now();
    expect(await send('x')).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    fake.setLatency(0);
    const again = performance.now();
    await send('x');
    expect(performance.now() - again).toBeLessThan(145);
  });

  it('applies a latency function per request, so a fast reply overtakes a slow one', async () => {
    const { fake, send } = await start({ latencyMs: (request) => (request.userText === 'slow' ? 300 : 0) });
    const finished: string[] = [];
    const slow = send('slow').then(() => finished.push('slow'));
    await expect.poll(() => fake.stats.inFlight).toBe(1);
    await send('fast').then(() => finished.push('fast'));
    await slow;
    expect(finished).toEqual(['fast', 'slow']);
    expect(fake.stats.maxInFlight).toBe(2);
  });
});

describe('client aborts', () => {
  it('counts a hanging request whose client gives up as aborted', async () => {
    const { fake, send } = await start({ respond: () => ({ hang: true }) });
    const controller = new AbortController();
    const pending = send('x', controller.signal);
    await expect.poll(() => fake.stats.inFlight).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => fake.stats.aborted).toBe(1);
    expect(fake.stats).toMatchObject({ received: 1, answered: 0, dropped: 0, inFlight: 0 });
  });

  it('cancels the latency timer of an aborted request', async () => {
    const { fake, send } = await start({ latencyMs: 60_000 });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    const controller = new AbortController();
    const pending = send('x', controller.signal);
    await expect.poll(() => fake.stats.inFlight).toBe(1);
    const latencyCall = setTimeoutSpy.mock.calls.findIndex((call) => call[1] === 60_000);
    const latencyTimer = setTimeoutSpy.mock.results[latencyCall]?.value;
    expect(latencyTimer).toBeDefined();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => fake.stats.aborted).toBe(1);
    expect(clearTimeoutSpy).toHaveBeenCalledWith(latencyTimer);
  });
});

describe('close', () => {
  it('destroys idle keep-alive and pending connections and leaves no handle open', async () => {
    const { fake, send } = await start();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    expect(await send('leaves an idle keep-alive connection')).toBe(200);
    fake.setRespond((request) => (request.userText === 'hang' ? { hang: true } : undefined));
    fake.setLatency((request) => (request.userText === 'slow' ? 60_000 : 0));
    const outcome = (promise: Promise<number>) =>
      promise.then(String, (error: { code?: string }) => error.code);
    const hanging = outcome(send('hang'));
    const slow = outcome(send('slow'));
    await expect.poll(() => fake.stats.inFlight).toBe(2);
    const latencyTimer =
      setTimeoutSpy.mock.results[setTimeoutSpy.mock.calls.findIndex((call) => call[1] === 60_000)];
    expect(latencyTimer).toBeDefined();

    const started = performance.now();
    await fake.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(fake.stats).toMatchObject({ answered: 1, dropped: 2, aborted: 0, inFlight: 0 });
    expect(await hanging).toBe('UND_ERR_SOCKET');
    expect(await slow).toBe('UND_ERR_SOCKET');
    await fake.close();
    await pool?.destroy();

    // Nothing of the server is left to keep the process alive: the latency timer is cleared, and no
    // listener or socket remains (closed handles go a loop turn later; earlier tests' servers too).
    expect(clearTimeoutSpy).toHaveBeenCalledWith(latencyTimer?.value);
    const tcpHandles = () => process.getActiveResourcesInfo().filter((kind) => kind.startsWith('TCP'));
    await expect.poll(tcpHandles, { timeout: 3000 }).toEqual([]);
  });
});
