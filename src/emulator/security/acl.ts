import type { Principal } from './authentication.js';

/** The operations an ACL names: `$r`, `$w`, `$d`, `$mr`, `$mw`. */
export type StreamAction = 'read' | 'write' | 'delete' | 'metadataRead' | 'metadataWrite';

/** One ACL; an absent field (undefined) falls back per field, an empty list means admins only. */
export type Acl = Partial<Record<StreamAction, readonly string[]>>;

/** The parts of `$settings` that matter: `$userStreamAcl` and `$systemStreamAcl`. */
export interface SystemSettings {
  readonly userStreamAcl: Acl | undefined;
  readonly systemStreamAcl: Acl | undefined;
}

const ACL_KEYS: Record<StreamAction, string> = {
  read: '$r',
  write: '$w',
  delete: '$d',
  metadataRead: '$mr',
  metadataWrite: '$mw',
};

const EVERYONE = ['$all'];
const ADMINS = ['$admins'];
const ALL_ACTIONS = Object.keys(ACL_KEYS) as StreamAction[];

/** The real server's `SystemSettings.Default`: user streams open to any authenticated user, `$` streams admins only. */
export const DEFAULT_USER_STREAM_ACL: Required<Acl> = fill(EVERYONE);
export const DEFAULT_SYSTEM_STREAM_ACL: Required<Acl> = fill(ADMINS);

/** Reads `$acl` out of a parsed stream metadata object (a string or an array of strings per key). */
export function readAcl(value: unknown): Acl | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const obj = value as Record<string, unknown>;
  const acl: Acl = {};
  for (const action of ALL_ACTIONS) {
    const roles = readRoles(obj[ACL_KEYS[action]]);
    if (roles !== undefined) acl[action] = roles;
  }
  return acl;
}

/** Parses a `$settings` event; undefined when it is not a JSON object (the real server then uses the defaults). */
export function parseSystemSettings(data: Buffer): SystemSettings | undefined {
  const parsed = parseObject(data);
  if (parsed === undefined) return undefined;
  return { userStreamAcl: readAcl(parsed.$userStreamAcl), systemStreamAcl: readAcl(parsed.$systemStreamAcl) };
}

/** `$acl` of a `$metadata` event, or undefined when it has none. */
export function parseStreamAcl(data: Buffer): Acl | undefined {
  return readAcl(parseObject(data)?.$acl);
}

/** What an evaluation needs to know about the store: the settings and a stream's own ACL. */
export interface AclSource {
  settings(): SystemSettings | undefined;
  streamAcl(streamId: string): Acl | undefined;
}

/**
 * `LegacyStreamPermissionAssertion.CheckStreamAccess` (reference 1.4): `$all` can never be written or deleted,
 * `$$x` is x's metadata (its delete is always denied), system and admins pass, then the effective ACL decides.
 * Anonymous callers never pass (the real server's default `AllowAnonymousStreamAccess=false`).
 */
export function isAllowed(principal: Principal, streamId: string, action: StreamAction, source: AclSource): boolean {
  let target = streamId === '' ? '$all' : streamId;
  let act = action;
  if (target === '$all' && (act === 'write' || act === 'delete')) return false;
  if (target.startsWith('$$')) {
    if (act === 'read' || act === 'metadataRead') act = 'metadataRead';
    else if (act === 'write' || act === 'metadataWrite') act = 'metadataWrite';
    else return false;
    target = target.slice(2);
  }
  if (principal.kind === 'anonymous') return false;
  if (principal.kind === 'system') return true;
  if (principal.name === 'admin' || principal.groups.includes('$admins')) return true;
  const roles = effectiveRoles(target, act, source);
  if (roles.includes('$all')) return true;
  return roles.some((role) => role === principal.name || principal.groups.includes(role));
}

/** `IndexReader.GetEffectiveAcl` resolved for one action: stream `$acl`, then `$settings`, then the default. */
export function effectiveRoles(streamId: string, action: StreamAction, source: AclSource): readonly string[] {
  const isSystem = streamId.startsWith('$');
  const settings = source.settings();
  const fallback = isSystem ? DEFAULT_SYSTEM_STREAM_ACL : DEFAULT_USER_STREAM_ACL;
  const system = (isSystem ? settings?.systemStreamAcl : settings?.userStreamAcl) ?? fallback;
  const stream = source.streamAcl(streamId) ?? system;
  return stream[action] ?? system[action] ?? fallback[action];
}

function readRoles(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
}

function parseObject(data: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function fill(roles: readonly string[]): Required<Acl> {
  return { read: roles, write: roles, delete: roles, metadataRead: roles, metadataWrite: roles };
}
