import { describe, expect, it } from 'vitest';
import { LLMBatchError } from '../errors.js';
import {
  createProviderByName,
  createProviderFromModel,
  createProviders,
  parseModelString,
} from './registry.js';

describe('model strings', () => {
  it.each([
    ['openai:gpt-4o-mini', { provider: 'openai', model: 'gpt-4o-mini' }],
    ['anthropic:claude-haiku-4-5', { provider: 'anthropic', model: 'claude-haiku-4-5' }],
    ['mock:echo', { provider: 'mock', model: 'echo' }],
    ['gpt-4.1-nano', { provider: 'openai', model: 'gpt-4.1-nano' }],
    ['o4-mini', { provider: 'openai', model: 'o4-mini' }],
    ['claude-sonnet-4-5-20250929', { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' }],
    ['llama3.1:8b', { provider: undefined, model: 'llama3.1:8b' }],
  ])('parses %s', (model, expected) => {
    expect(parseModelString(model)).toEqual(expected);
  });

  it('splits on extra provider names only when told about them', () => {
    expect(parseModelString('ollama:llama3.1:8b', ['ollama'])).toEqual({
      provider: 'ollama',
      model: 'llama3.1:8b',
    });
  });
});

describe('building providers from config', () => {
  it('builds the provider a model names, with its own name', () => {
    const config = {
      openai: { apiKey: 'sk-test-openai-123456' },
      anthropic: { apiKey: 'sk-ant-test-123456' },
      compatible: { ollama: { baseURL: 'http://127.0.0.1:11434/v1' } },
    };
    expect(createProviderFromModel('anthropic:claude-haiku-4-5', config)).toMatchObject({
      providerName: 'anthropic',
      model: 'claude-haiku-4-5',
      provider: { name: 'anthropic' },
    });
    expect(createProviderFromModel('gpt-4o-mini', config)).toMatchObject({
      providerName: 'openai',
      provider: { name: 'openai' },
    });
    expect(createProviderFromModel('ollama:llama3.1:8b', config)).toMatchObject({
      providerName: 'ollama',
      model: 'llama3.1:8b',
      provider: { name: 'ollama' },
    });
    expect(Object.keys(createProviders(config)).sort()).toEqual(['anthropic', 'ollama', 'openai']);
  });

  it('refuses an Anthropic provider without a key, and an unknown provider, naming what is wrong', () => {
    let caught: unknown;
    try {
      createProviderByName('anthropic', {});
    } catch (error) {
      caught = error;
    }
    expect(LLMBatchError.isInstance(caught) && caught.code).toBe('invalid-options');
    expect((caught as Error).message).toBe(
      'provider anthropic needs an API key (providers config anthropic.apiKey)',
    );
    expect(() => createProviderFromModel('llama3.1:8b', {})).toThrow(
      'model "llama3.1:8b" names no known provider; write it as provider:model with one of: openai, anthropic, mock',
    );
  });
});
