/** One fenced code block (```…``` or ~~~…~~~) found in model output. */
export interface FencedBlock {
  /** The first word of the info string (`json`, `python`), or `''` when there is none. */
  language: string;
  /** The lines between the fences, joined with `\n`. */
  content: string;
  /** False when the output ended before the closing fence (a truncated answer). */
  closed: boolean;
}

/** The fenced blocks of a text and what lies outside them. */
export interface FencedBlocks {
  /** Every block, in order of appearance. */
  blocks: FencedBlock[];
  /** The lines outside every block (fence lines removed), joined with `\n`. */
  outside: string;
}

const openingFence = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const closingFence = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/**
 * Finds Markdown fenced code blocks, in one pass over the lines.
 *
 * Follows CommonMark where models do (a fence is at least three backticks or tildes at the start of a
 * line, indented at most three spaces, closed by a fence of the same character at least as long) and
 * is lenient where they are not: CRLF or CR line ends, a closing fence glued to the last content line,
 * and a block left open at the end of a truncated answer.
 *
 * @example
 * ```ts
 * findFencedBlocks('Here:\n```json\n{"a":1}\n```').blocks;
 * // [{ language: 'json', content: '{"a":1}', closed: true }]
 * ```
 */
export function findFencedBlocks(text: string): FencedBlocks {
  const lines = text.split(/\r\n|\r|\n/);
  const blocks: FencedBlock[] = [];
  const outside: string[] = [];
  let open: { marker: string; language: string; lines: string[] } | undefined;

  for (const line of lines) {
    if (open === undefined) {
      const match = openingFence.exec(line);
      const marker = match?.[1];
      const info = match?.[2] ?? '';
      // A backtick fence's info string may not contain backticks (CommonMark), which also keeps inline
      // code such as ```{"a":1}``` on one line out of this path.
      if (marker === undefined || (marker.startsWith('`') && info.includes('`'))) {
        outside.push(line);
        continue;
      }
      open = { marker, language: info.trim().split(/\s+/)[0] ?? '', lines: [] };
      continue;
    }
    const closing = closingFence.exec(line)?.[1];
    if (closing !== undefined && closesFence(open.marker, closing)) {
      blocks.push({ language: open.language, content: open.lines.join('\n'), closed: true });
      open = undefined;
      continue;
    }
    const glued = splitTrailingFence(line, open.marker);
    if (glued !== undefined) {
      open.lines.push(glued);
      blocks.push({ language: open.language, content: open.lines.join('\n'), closed: true });
      open = undefined;
      continue;
    }
    open.lines.push(line);
  }
  if (open !== undefined) {
    blocks.push({ language: open.language, content: open.lines.join('\n'), closed: false });
  }
  return { blocks, outside: outside.join('\n') };
}

function closesFence(openingMarker: string, candidate: string): boolean {
  return candidate[0] === openingMarker[0] && candidate.length >= openingMarker.length;
}

/** Models sometimes close a block on its last content line (`}````); returns the content before it. */
function splitTrailingFence(line: string, openingMarker: string): string | undefined {
  const trimmed = line.trimEnd();
  const fenceCharacter = openingMarker[0];
  let start = trimmed.length;
  while (start > 0 && trimmed[start - 1] === fenceCharacter) start -= 1;
  if (trimmed.length - start < openingMarker.length) return undefined;
  return trimmed.slice(0, start);
}
