import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallSecurity } from '../security/call-security.js';
import { mayOperateNode } from '../security/operations-access.js';
import { rpcErrors } from '../wire/rpc-errors.js';

const SHUTDOWN_AFTER_ANSWER_MS = 50;

/** What the Operations RPCs of one node act on. */
export interface NodeOperations {
  resign(): void;
  shutdown(): Promise<void>;
}

/**
 * `event_store.client.operations.Operations` for one node: `ResignNode` and `Shutdown` answer Empty and then
 * act, as the real server answers before the node changes state. The other RPCs are left out, so grpc-js
 * answers them UNIMPLEMENTED. In insecure mode every caller is the system user and may call them; in secure
 * mode bad credentials end the call with UNAUTHENTICATED before it runs and anyone but `$admins`/`$ops` gets
 * the real server's `RpcExceptions.AccessDenied()`.
 */
export function operationsService(node: NodeOperations, security: CallSecurity): UntypedServiceImplementation {
  const denied = (call: object, callback: sendUnaryData<unknown>): boolean => {
    if (mayOperateNode(security.principalOf(call))) return false;
    callback(rpcErrors.accessDenied());
    return true;
  };
  return security.guard({
    ResignNode: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (denied(call, callback)) return;
      callback(null, {});
      setImmediate(() => node.resign());
    },
    Shutdown: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (denied(call, callback)) return;
      callback(null, {});
      // The connection drops with the server, so the answer needs a moment to leave first.
      setTimeout(() => void node.shutdown(), SHUTDOWN_AFTER_ANSWER_MS);
    },
  });
}
