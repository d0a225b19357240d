import { randomUUID } from 'node:crypto';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { rpcErrors } from '../wire/rpc-errors.js';
import type { ServiceContext } from './service-context.js';

const LEADER = 8;

/** `Gossip.Read`. DEVIATION (documented): always a one-node cluster, an alive Leader pointing at this server. */
export function gossipHandler(ctx: ServiceContext) {
  const instanceId = randomUUID();
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    if (ctx.faults.isUnavailable()) return callback(rpcErrors.unavailable());
    callback(null, {
      members: [
        {
          instance_id: { string: instanceId },
          // .NET ticks, like the real server's gossip timestamps.
          time_stamp: `${Math.trunc(ctx.now())}0000`,
          state: LEADER,
          is_alive: true,
          http_end_point: { address: ctx.host, port: ctx.port() },
        },
      ],
    });
  };
}
