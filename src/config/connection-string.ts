import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';
import { redactConnectionString, redactText } from '../shared/redact.js';

/** Schemes @eventstore/db-client 6.2.1 understands. */
export const ACCEPTED_SCHEMES = ['esdb://', 'esdb+discover://'] as const;

export interface ConnectionStringCheck {
  /** Why the client would refuse it; undefined when it parses. Never contains credentials. */
  error: string | undefined;
  /** Things the client would only warn about (unknown options), credential-free. */
  warnings: string[];
}

/**
 * Validates a connection string with the client's own parser (the one `EventStoreDBClient.connectionString`
 * uses), so validation accepts exactly what the daemon can connect with. The parser is not re-exported from the
 * package index, hence the deep import; the package has no `exports` map, so the path is stable for 6.2.x.
 */
export function checkConnectionString(cs: string): ConnectionStringCheck {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(cs)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { error: `must start with ${ACCEPTED_SCHEMES.join(' or ')}`, warnings: [] };
  }
  if (scheme === 'kurrentdb' || scheme === 'kurrent' || scheme === 'kdb' || scheme === 'kurrentdb+discover') {
    return {
      error:
        `uses the ${scheme}:// scheme, which @eventstore/db-client 6.2.1 does not understand; ` +
        'write esdb:// (or esdb+discover:// for gossip discovery) with the same hosts and options',
      warnings: [],
    };
  }
  if (scheme !== 'esdb' && scheme !== 'esdb+discover') {
    return { error: `must start with ${ACCEPTED_SCHEMES.join(' or ')}, not ${scheme}://`, warnings: [] };
  }
  const warnings: string[] = [];
  // The parser reports unknown options through console.warn with the whole string (credentials included)
  // underneath; capture the first line of each instead of letting it reach the terminal.
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = String(args[0] ?? '').split('\n')[0] ?? '';
    const unknown = /^Unknown option key "(.*)", setting will be ignored\.?$/.exec(first);
    warnings.push(
      unknown === null
        ? `@eventstore/db-client says: ${redactText(first)}`
        : `@eventstore/db-client ignores the unknown option ${JSON.stringify(unknown[1])}`,
    );
  };
  try {
    parseConnectionString(cs);
    return { error: undefined, warnings };
  } catch (err) {
    const expected = (err as { expected?: unknown }).expected;
    const reason =
      typeof expected === 'string' ? `the client's parser expected ${expected}` : 'the client cannot parse it';
    return { error: `is not a valid connection string (${reason})`, warnings };
  } finally {
    console.warn = originalWarn;
  }
}

export function showConnectionString(cs: string): string {
  return JSON.stringify(redactConnectionString(cs));
}

/**
 * The user a connection string authenticates as (never the password), or undefined when it carries no
 * credentials (anonymous on a secure server) or does not parse.
 */
export function connectionUser(cs: string): string | undefined {
  return quietParse(cs)?.defaultCredentials?.username;
}

/**
 * The host names or addresses a connection string names (gossip seeds or the single node), or undefined when
 * it does not parse.
 */
export function connectionHosts(cs: string): string[] | undefined {
  return quietParse(cs)?.hosts.map((h) => h.address);
}

/** The client's parse of a connection string, without its warnings (they print the whole string, credentials included); undefined when it does not parse. */
function quietParse(cs: string): ReturnType<typeof parseConnectionString> | undefined {
  const originalWarn = console.warn;
  console.warn = () => undefined;
  try {
    return parseConnectionString(cs);
  } catch {
    return undefined;
  } finally {
    console.warn = originalWarn;
  }
}
