import type { InjectedAppendError } from '../emulator-api.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';

/** The gRPC error the real server would send for each injectable append failure. */
export function injectedAppendError(kind: InjectedAppendError, host: string, port: number): RpcError {
  switch (kind) {
    case 'unavailable':
      return rpcErrors.unavailable();
    case 'deadline':
      return rpcErrors.deadline();
    case 'not-leader':
      return rpcErrors.notLeader(host, port);
    case 'cancelled':
      return rpcErrors.cancelled();
    case 'internal':
      return rpcErrors.internal('Injected internal error');
  }
}
