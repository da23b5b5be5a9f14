// The server benchmark's HTTP client: only the public API, as a tenant would use it.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

async function call(baseUrl, method, path, { token, org, body, headers = {}, expect = [200] } = {}) {
  const allHeaders = { ...headers };
  if (token !== undefined) allHeaders.authorization = `Bearer ${token}`;
  if (org !== undefined) allHeaders['llmbatch-org'] = org;
  let payload = body;
  if (body !== undefined && typeof body === 'object' && typeof body.pipe !== 'function') {
    payload = JSON.stringify(body);
    allHeaders['content-type'] = 'application/json';
  }
  const response = await request(`${baseUrl}${path}`, { method, headers: allHeaders, body: payload });
  const text = await response.body.text();
  if (!expect.includes(response.statusCode)) {
    throw new Error(
      `${method} ${path} answered ${response.statusCode} (expected ${expect.join(' or ')}): ${text}`,
    );
  }
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * Makes a tenant on a fresh server the way a user would: signs up, follows the verification link from
 * the development outbox (`GET /v1/dev/outbox`, loopback only, no SMTP configured), logs in, creates an
 * admin API token and stores an openai-compatible provider key pointing at `providerBaseUrl`. Returns
 * the API token (it never expires, unlike access tokens) and the ids.
 *
 * @example
 * const tenant = await setUpTenant('http://127.0.0.1:8080', 'http://127.0.0.1:40123/v1');
 */
export async function setUpTenant(baseUrl, providerBaseUrl) {
  const email = `bench-${randomBytes(4).toString('hex')}@example.test`;
  const password = `bench-password-${randomBytes(8).toString('hex')}`;
  await call(baseUrl, 'POST', '/v1/auth/signup', {
    body: { email, password, orgName: 'bench' },
    expect: [202],
  });
  let verificationToken;
  for (let attempt = 0; attempt < 50 && verificationToken === undefined; attempt++) {
    const outbox = await call(baseUrl, 'GET', '/v1/dev/outbox?limit=100');
    const mail = outbox.data.find((entry) => entry.to === email);
    verificationToken = mail === undefined ? undefined : /token=(lbo_[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    if (verificationToken === undefined) await sleep(100);
  }
  if (verificationToken === undefined) throw new Error(`no verification mail for ${email} in the outbox`);
  await call(baseUrl, 'POST', '/v1/auth/verify-email', { body: { token: verificationToken } });
  const login = await call(baseUrl, 'POST', '/v1/auth/login', { body: { email, password } });
  const me = await call(baseUrl, 'GET', '/v1/me', { token: login.accessToken });
  const orgId = me.memberships[0]?.orgId;
  if (orgId === undefined) throw new Error('the new user has no organisation');
  const apiToken = await call(baseUrl, 'POST', '/v1/api-tokens', {
    token: login.accessToken,
    org: orgId,
    body: { name: 'bench', role: 'admin' },
    expect: [201],
  });
  const key = await call(baseUrl, 'POST', '/v1/provider-keys', {
    token: apiToken.token,
    body: {
      name: 'fake provider',
      provider: 'openai-compatible',
      baseUrl: providerBaseUrl,
      apiKey: `sk-bench-${randomBytes(8).toString('hex')}`,
    },
    expect: [201],
  });
  return { token: apiToken.token, orgId, providerKeyId: key.id };
}

/**
 * Streams the CSV file at `path` to `POST /v1/files` and returns the stored file.
 *
 * @example
 * const file = await uploadFile(url, tenant.token, '/tmp/data.csv');
 */
export async function uploadFile(baseUrl, token, path) {
  const { size } = await stat(path);
  return call(baseUrl, 'POST', '/v1/files?name=bench.csv', {
    token,
    headers: { 'content-type': 'text/csv', 'content-length': String(size) },
    body: createReadStream(path),
    expect: [201],
  });
}

/**
 * Creates a job (`POST /v1/jobs`, answered 202 with the queued job).
 *
 * @example
 * const job = await createJob(url, tenant.token, { fileId, providerKeyId, model: 'gpt-4o-mini', prompt: 'Classify: {{text}}', concurrency: 64 });
 */
export async function createJob(baseUrl, token, body) {
  return call(baseUrl, 'POST', '/v1/jobs', { token, body, expect: [202] });
}

/**
 * Polls `GET /v1/jobs/{id}` until the job is final; resolves with it when it completed, rejects naming
 * its status and error otherwise, or after `timeoutMs`. Polls every `pollMs`, but sooner when the
 * finished count and its rate so far say the job ends earlier (never more often than every 50 ms), so
 * the end is seen within a few tens of milliseconds without polling hard all along. `units` is the
 * number of units the job has.
 *
 * @example
 * const job = await waitForJob(url, tenant.token, job.id, { units: 100_000, pollMs: 1000 });
 */
export async function waitForJob(
  baseUrl,
  token,
  jobId,
  { units, pollMs = 1000, timeoutMs = 30 * 60_000, onPoll } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let previous;
  for (;;) {
    const job = await call(baseUrl, 'GET', `/v1/jobs/${jobId}`, { token });
    const now = performance.now();
    onPoll?.(job);
    if (job.status === 'completed') return job;
    if (['failed', 'cancelled', 'cancelling'].includes(job.status)) {
      throw new Error(`job ${jobId} ended ${job.status}: ${JSON.stringify(job.error)}`);
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    const done = job.counts.succeeded + job.counts.failed;
    let wait = pollMs;
    if (units !== undefined && previous !== undefined && done > previous.done) {
      const perMs = (done - previous.done) / (now - previous.at);
      wait = Math.min(pollMs, Math.max(50, (units - done) / perMs));
    } else if (units !== undefined && done >= units) {
      wait = 50;
    }
    previous = { done, at: now };
    await sleep(wait);
  }
}

/**
 * Downloads every result of a job (`GET /v1/jobs/{id}/results`, JSON lines), parsing each line and
 * checking that indexes run 0, 1, …, units − 1: each exactly once, in input order. Rejects on the
 * first line that breaks this, or when lines are missing.
 *
 * @example
 * const { ok, failed, bytes } = await downloadResults(url, tenant.token, job.id, 100_000);
 */
export async function downloadResults(baseUrl, token, jobId, units) {
  const response = await request(`${baseUrl}/v1/jobs/${jobId}/results`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.statusCode !== 200) {
    throw new Error(`results answered ${response.statusCode}: ${await response.body.text()}`);
  }
  let expected = 0;
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  let firstError;
  let rest = '';
  const take = (line) => {
    if (line === '') return;
    const result = JSON.parse(line);
    if (result.index !== expected) {
      throw new Error(
        `results of job ${jobId}: line ${expected} has index ${result.index} (expected ${expected}: each index once, in order)`,
      );
    }
    expected++;
    if (result.status === 'ok') ok++;
    else {
      failed++;
      firstError ??= result.error;
    }
  };
  response.body.setEncoding('utf8');
  for await (const chunk of response.body) {
    bytes += Buffer.byteLength(chunk);
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  take(rest);
  if (expected !== units) throw new Error(`results of job ${jobId}: ${expected} lines for ${units} units`);
  return { lines: expected, ok, failed, bytes, ...(firstError === undefined ? {} : { firstError }) };
}
