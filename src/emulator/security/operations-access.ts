import type { Principal } from './authentication.js';

/**
 * The real server's policy for `Operations.Node.Shutdown` and `Operations.Node.Resign`
 * (`LegacyAuthorizationProviderFactory`): any of role `$admins`, name `admin`, role `$ops`, name `ops`.
 * The system user (every call in insecure mode, a node certificate in secure mode) passes too: the real
 * `SystemAccounts.System` carries the `$admins` role.
 */
export function mayOperateNode(principal: Principal): boolean {
  if (principal.kind === 'system') return true;
  if (principal.kind === 'anonymous') return false;
  return (
    principal.name === 'admin' ||
    principal.name === 'ops' ||
    principal.groups.includes('$admins') ||
    principal.groups.includes('$ops')
  );
}
