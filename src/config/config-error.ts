import { LinkerError } from '../shared/errors.js';
import type { ConfigProblem } from './config-types.js';

/** The config failed validation; `problems` lists every problem found, not just the first. */
export const CONFIG_INVALID = 'ESDBL_CONFIG_INVALID';
/** The config file (or a secret file it names) could not be read at all. */
export const CONFIG_UNREADABLE = 'ESDBL_CONFIG_UNREADABLE';

/** One line per problem: `file:line:column: path: message`, the shape editors and CI logs can jump to. */
export function formatProblem(problem: ConfigProblem, sourceName?: string): string {
  let where = '';
  if (sourceName !== undefined) {
    where = sourceName;
    if (problem.line !== undefined)
      where += `:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}`;
    where += ': ';
  } else if (problem.line !== undefined) {
    where = `line ${problem.line}${problem.column === undefined ? '' : `, column ${problem.column}`}: `;
  }
  return problem.path === '' ? `${where}${problem.message}` : `${where}${problem.path}: ${problem.message}`;
}

export class ConfigError extends LinkerError {
  readonly problems: readonly ConfigProblem[];
  readonly sourceName: string | undefined;

  constructor(
    problems: readonly ConfigProblem[],
    options: { sourceName?: string; code?: string; cause?: unknown } = {},
  ) {
    const code = options.code ?? CONFIG_INVALID;
    const head =
      options.sourceName === undefined
        ? `invalid config (${plural(problems.length, 'problem')})`
        : `invalid config ${options.sourceName} (${plural(problems.length, 'problem')})`;
    const lines = problems.map((p) => `  ${formatProblem(p, options.sourceName)}`);
    // An unreadable file is one plain sentence ("cannot read config file ..."), not a list of problems.
    const message =
      code === CONFIG_INVALID ? [head, ...lines].join('\n') : problems.map((p) => formatProblem(p)).join('\n');
    super(code, message, {
      cause: options.cause,
      details: { problems: problems.map((p) => ({ ...p })) },
    });
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.sourceName = options.sourceName;
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
