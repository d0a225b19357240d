import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { VNodeState } from '../node/vnode-state.js';
import { uuidToStructured } from '../wire/uuid.js';
import { rpcErrors } from '../wire/rpc-errors.js';
import type { ServiceContext } from './service-context.js';

/** `Gossip.Read`: every member this node knows, with its state, liveness and the endpoint clients dial. */
export function gossipHandler(ctx: ServiceContext) {
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    if (ctx.faults.isUnavailable()) return callback(rpcErrors.unavailable());
    // .NET ticks, like the real server's gossip timestamps.
    const ticks = `${Math.trunc(ctx.now())}0000`;
    callback(null, {
      members: ctx.node.members().map((m) => {
        // The real server sends the structured form (the client accepts both).
        const { msb, lsb } = uuidToStructured(m.instanceId);
        return {
          instance_id: {
            structured: { most_significant_bits: msb.toString(), least_significant_bits: lsb.toString() },
          },
          time_stamp: ticks,
          state: VNodeState[m.state],
          is_alive: m.isAlive,
          http_end_point: { address: m.host, port: m.port },
        };
      }),
    });
  };
}
