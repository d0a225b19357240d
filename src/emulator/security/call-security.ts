import type { Metadata } from '@grpc/grpc-js';
import type { EventStore } from '../store/event-store.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import { isAllowed, type StreamAction } from './acl.js';
import { authenticate, SYSTEM, type Principal, type TransportIdentity } from './authentication.js';
import { StoreAclSource } from './store-acl-source.js';
import type { UserDirectory } from './users.js';

/** The parts of a grpc-js server call that authentication reads. */
export interface AuthenticatedCall {
  readonly metadata: Metadata;
  getAuthContext?(): TransportIdentity | null;
  emit(event: 'error', error: RpcError): boolean;
}

// grpc-js handlers: (call) for server/bidi streaming, (call, callback) for unary/client streaming.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (call: any, callback?: any) => void;

/**
 * Authentication and authorization as the service handlers see them. In insecure mode every call is the
 * system user; in secure mode calls are authenticated before any handler runs and each stream operation is
 * checked against the store's ACLs. Nodes over one shared store can each have one, or share one.
 */
export interface CallSecurity {
  readonly secure: boolean;
  /** Wraps every handler of a service so that bad credentials end the call with 16 before it runs. */
  guard<T extends Record<string, Handler>>(handlers: T): T;
  /** The access-denied error when the call may not do `action` on `streamId`; undefined when it may. */
  check(call: object, streamId: string, action: StreamAction): RpcError | undefined;
  /**
   * Runs `onLost` once when a change of `$settings` or of the stream's metadata takes the access away, as the
   * real server drops a live subscription; stops watching when `signal` aborts.
   */
  watch(call: object, streamId: string, action: StreamAction, signal: AbortSignal, onLost: () => void): void;
  /** Who the call runs as (system in insecure mode). */
  principalOf(call: object): Principal;
}

export const insecureCallSecurity: CallSecurity = {
  secure: false,
  guard: (handlers) => handlers,
  check: () => undefined,
  watch: () => undefined,
  principalOf: () => SYSTEM,
};

export function secureCallSecurity(store: EventStore, users: UserDirectory): CallSecurity {
  const acls = new StoreAclSource(store);
  const principals = new WeakMap<object, Principal>();
  const principalOf = (call: object): Principal => {
    let p = principals.get(call);
    if (p === undefined) {
      const c = call as AuthenticatedCall;
      const found = authenticate(c.metadata, c.getAuthContext?.() ?? null, users);
      p = found === 'unauthenticated' ? { kind: 'anonymous' } : found;
      principals.set(call, p);
    }
    return p;
  };
  const allowed = (call: object, streamId: string, action: StreamAction): boolean =>
    isAllowed(principalOf(call), streamId, action, acls);

  return {
    secure: true,
    principalOf,
    guard(handlers) {
      const guarded: Record<string, Handler> = {};
      for (const [name, handler] of Object.entries(handlers)) {
        guarded[name] = (call: AuthenticatedCall, callback?: (error: RpcError) => void) => {
          const principal = authenticate(call.metadata, call.getAuthContext?.() ?? null, users);
          if (principal === 'unauthenticated') {
            const error = rpcErrors.unauthenticated();
            if (typeof callback === 'function') callback(error);
            else call.emit('error', error);
            return;
          }
          principals.set(call, principal);
          handler(call, callback);
        };
      }
      return guarded as typeof handlers;
    },
    check: (call, streamId, action) => (allowed(call, streamId, action) ? undefined : rpcErrors.accessDenied()),
    watch(call, streamId, action, signal, onLost) {
      const base = streamId.startsWith('$$') ? streamId.slice(2) : streamId;
      let version = acls.versionOf(base);
      void (async () => {
        while (!signal.aborted) {
          await store.waitForCommit(signal);
          if (signal.aborted) return;
          const now = acls.versionOf(base);
          if (now.every((v, i) => v === version[i])) continue;
          version = now;
          if (!allowed(call, streamId, action)) {
            onLost();
            return;
          }
        }
      })();
    },
  };
}
