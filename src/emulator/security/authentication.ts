import type { PeerCertificate } from 'node:tls';
import type { Metadata } from '@grpc/grpc-js';
import { CLIENT_AUTH_OID, NODE_COMMON_NAME, SERVER_AUTH_OID } from './certificates.js';
import type { UserDirectory } from './users.js';

/** Who a call runs as, with the claims the real server's policy looks at (login name and groups). */
export type Principal =
  | { readonly kind: 'system' }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly name: string; readonly groups: readonly string[] };

export const SYSTEM: Principal = { kind: 'system' };
export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The call's transport identity: grpc-js fills `sslPeerCertificate` only for a certificate our CA signed. */
export interface TransportIdentity {
  readonly sslPeerCertificate?: PeerCertificate | undefined;
}

/**
 * The real server's provider chain in order (reference 1.3): Basic, then a user certificate, then a node
 * certificate, then anonymous. Returns 'unauthenticated' where the real middleware ends the call with 16.
 */
export function authenticate(
  metadata: Metadata,
  transport: TransportIdentity | null,
  users: UserDirectory,
): Principal | 'unauthenticated' {
  const basic = basicCredentials(metadata);
  if (basic !== undefined) {
    const account = users.verify(basic.user, basic.password);
    return account === undefined ? 'unauthenticated' : { kind: 'user', name: account.name, groups: account.groups };
  }
  const cert = transport?.sslPeerCertificate;
  if (cert !== undefined && cert.subject !== undefined) {
    const usages = cert.ext_key_usage ?? [];
    const commonName = firstValue(cert.subject.CN);
    if (usages.includes(CLIENT_AUTH_OID) && !usages.includes(SERVER_AUTH_OID) && commonName !== undefined) {
      const account = users.find(commonName);
      return account === undefined ? 'unauthenticated' : { kind: 'user', name: account.name, groups: account.groups };
    }
    if (usages.includes(SERVER_AUTH_OID) && commonName === NODE_COMMON_NAME && cert.subjectaltname) return SYSTEM;
  }
  return ANONYMOUS;
}

/**
 * Basic applies only to exactly one `authorization` header with the literal `Basic` scheme that decodes to
 * `user:pass`; anything else falls through to the next provider, as on the real server.
 */
function basicCredentials(metadata: Metadata): { user: string; password: string } | undefined {
  const values = metadata.get('authorization');
  if (values.length !== 1) return undefined;
  const header = values[0];
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A principal for logs and messages (never a password). */
export function describePrincipal(p: Principal): string {
  return p.kind === 'user' ? `user '${p.name}'` : p.kind;
}
