import type { ChatMessage } from '../providers/provider.js';
import type { Unit } from '../types.js';
import type { CompiledTemplate } from './template.js';

/** The parts of a job that shape the messages sent for each unit. */
export interface MessageBuilder {
  /** Builds the conversation for one unit. */
  build(unit: Unit, key: string): ChatMessage[];
}

/**
 * Creates a builder that renders the user template (and, if given, the system template) per unit.
 *
 * @example
 * ```ts
 * const builder = createMessageBuilder(compileTemplate('Summarise {{text}}'), compileTemplate('Be brief.'));
 * builder.build({ text: 'long text' }, '0');
 * ```
 */
export function createMessageBuilder(user: CompiledTemplate, system?: CompiledTemplate): MessageBuilder {
  const staticSystem = system !== undefined && system.fields.length === 0 ? system.source : undefined;
  return {
    build(unit: Unit, key: string): ChatMessage[] {
      const content = user.render(unit, key);
      if (system === undefined) return [{ role: 'user', content }];
      return [
        { role: 'system', content: staticSystem ?? system.render(unit, key) },
        { role: 'user', content },
      ];
    },
  };
}
