export type {
  FakeProviderControls,
  FakeProviderHandler,
  FakeProviderStats,
} from './fake-provider-controls.js';
export { createFakeProviderHandler } from './fake-provider-handler.js';
export type { FakeProviderHandlerOptions, FakeProviderOptions } from './fake-provider-options.js';
export type { FakeLatency, FakeReply, FakeRespond } from './fake-reply.js';
export { echoContent, fakeTokenCount } from './fake-reply.js';
export type { FakeApi, FakeRequest } from './fake-request.js';
export type { FakeRateLimit } from './rate-limiter.js';
export type { FakeProvider } from './start-fake-provider.js';
export { startFakeProvider } from './start-fake-provider.js';
