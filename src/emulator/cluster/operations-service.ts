import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';

const SHUTDOWN_AFTER_ANSWER_MS = 50;

/** What the Operations RPCs of one node act on. */
export interface NodeOperations {
  resign(): void;
  shutdown(): Promise<void>;
}

/**
 * `event_store.client.operations.Operations` for one node: `ResignNode` and `Shutdown` answer Empty and then
 * act, as the real server answers before the node changes state. The other RPCs are left out, so grpc-js
 * answers them UNIMPLEMENTED. In insecure mode every caller may call them (the real server treats them as
 * the system user).
 */
export function operationsService(node: NodeOperations): UntypedServiceImplementation {
  return {
    ResignNode: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      callback(null, {});
      setImmediate(() => node.resign());
    },
    Shutdown: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      callback(null, {});
      // The connection drops with the server, so the answer needs a moment to leave first.
      setTimeout(() => void node.shutdown(), SHUTDOWN_AFTER_ANSWER_MS);
    },
  };
}
