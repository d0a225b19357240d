import { ErrorType } from '@eventstore/db-client';
import { connectionUser } from '../../config/connection-string.js';
import { LinkerError, errorMessage, isLinkerError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';

/** The server rejected the credentials (16 UNAUTHENTICATED): wrong password or unknown user. */
export const AUTH_FAILED = 'ESDBL_AUTH_FAILED';
/** The user is authenticated but an ACL denies the operation (7 PERMISSION_DENIED). */
export const ACCESS_DENIED = 'ESDBL_ACCESS_DENIED';

/** What the link was doing when the server refused it. */
export interface AccessAttempt {
  readonly side: 'origin' | 'destination';
  readonly action: 'read' | 'write' | 'write metadata of';
  /** The stream ('$all' for the origin subscription); undefined when not known. */
  readonly stream: string | undefined;
}

/**
 * Whether `err` is the server saying no to these credentials or this user: the client's AccessDeniedError
 * (which it also raises for UNAUTHENTICATED), or the reader thread's error carrying that type.
 */
export function isAccessDenied(err: unknown): boolean {
  if (isLinkerError(err, AUTH_FAILED) || isLinkerError(err, ACCESS_DENIED)) return true;
  const direct = (err as { type?: unknown } | null)?.type;
  if (direct === ErrorType.ACCESS_DENIED) return true;
  return isLinkerError(err) && err.details?.type === ErrorType.ACCESS_DENIED;
}

/** Tags an access error with what was attempted (other errors pass through unchanged). */
export function tagAccessAttempt(err: unknown, attempt: AccessAttempt): unknown {
  if (!isAccessDenied(err) || isLinkerError(err, AUTH_FAILED) || isLinkerError(err, ACCESS_DENIED)) return err;
  // The client raises AccessDeniedError for UNAUTHENTICATED too; only the status in the message tells them apart.
  const code = isAuthFailure(err) ? AUTH_FAILED : ACCESS_DENIED;
  return new LinkerError(code, redactText(errorMessage(err)), { cause: err, details: { attempt } });
}

/**
 * The configuration error an access problem is: it names the link, the node, the user (never the password)
 * and the right that is missing. Undefined when `err` is not an access problem.
 */
export function accessFailure(
  err: unknown,
  where: { link: string | undefined; nodeFor(side: AccessAttempt['side']): AccessNode },
  fallback: AccessAttempt,
): LinkerError | undefined {
  const tagged = tagAccessAttempt(err, fallback);
  if (!isLinkerError(tagged, AUTH_FAILED) && !isLinkerError(tagged, ACCESS_DENIED)) return undefined;
  if (tagged.details?.node !== undefined) return tagged;
  const attempt = (tagged.details?.attempt as AccessAttempt | undefined) ?? fallback;
  const node = where.nodeFor(attempt.side);
  const prefix = where.link === undefined ? '' : `link ${where.link}: `;
  const user = node.user;
  const who = user === undefined ? 'anonymous (no credentials in the connection string)' : `user '${user}'`;
  const what = `${attempt.action} ${attempt.stream ?? `the ${attempt.side}`}`;
  const message =
    tagged.code === AUTH_FAILED
      ? `${prefix}${attempt.side} node ${node.name} rejected the credentials of ${who} ` +
        `(16 UNAUTHENTICATED) when trying to ${what}: check the user name and password of node ${node.name}`
      : `${prefix}${who} may not ${what} on ${attempt.side} node ${node.name} ` +
        `(${redactText(errorMessage(tagged.cause ?? tagged))}): ${neededRight(attempt, user)}`;
  // No cause: the message already carries the server's status, and the client error's dump (stack, metadata
  // and the raw gRPC error) would bury it in every log line that prints this failure.
  return new LinkerError(tagged.code, message, {
    details: { node: node.name, user: user ?? null, side: attempt.side, stream: attempt.stream ?? null },
  });
}

/** A node as an access message names it: its config name and the user its connection authenticates as. */
export interface AccessNode {
  readonly name: string;
  /** Undefined: no credentials (anonymous). */
  readonly user: string | undefined;
}

/** The node and user of a connection string (the password never leaves it). */
export function accessNode(name: string, connectionString: string | undefined, user?: string): AccessNode {
  return { name, user: user ?? (connectionString === undefined ? undefined : connectionUser(connectionString)) };
}

/** Which right an operation needs under the real server's policy, and how to grant it. */
export function neededRight(attempt: AccessAttempt, user: string | undefined): string {
  if (user === undefined) return 'anonymous access to streams is denied: put a user in the connection string';
  const stream = attempt.stream;
  const metadata = attempt.action === 'write metadata of' || stream?.startsWith('$$') === true;
  const key = metadata ? (attempt.action === 'read' ? '$mr' : '$mw') : attempt.action === 'read' ? '$r' : '$w';
  if (stream === '$all' && attempt.action === 'read') {
    return (
      'reading $all needs $admins or an ACL grant (' +
      `"$r" of $systemStreamAcl in $settings, or "$r" in the $acl of $$$all naming '${user}' or one of its groups)`
    );
  }
  if (stream === undefined) {
    return `the operation needs the ${key} right on the stream (in its $acl, or in $userStreamAcl/$systemStreamAcl)`;
  }
  const base = stream.startsWith('$$') ? stream.slice(2) : stream;
  if (base.startsWith('$')) {
    return (
      `${base} is a $-stream: it needs $admins or an ACL grant ` +
      `("${key}" of $systemStreamAcl in $settings, or "${key}" in the $acl of ${base})`
    );
  }
  return `${base} needs the ${key} right for '${user}' (its $acl, or $userStreamAcl in $settings)`;
}

function isAuthFailure(err: unknown): boolean {
  return /\b16 UNAUTHENTICATED\b/.test(errorMessage(err));
}
