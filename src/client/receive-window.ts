import type * as GrpcJs from '@grpc/grpc-js';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { LinkerError } from '../shared/errors.js';
import { clientGrpc as grpc } from './client-grpc.js';

/**
 * What a link's origin subscription lets the server send ahead of what the link has read: 1 MiB per stream
 * and per connection, against HTTP/2's 64 KiB default that grpc-js keeps.
 *
 * Why: with 64 KiB in flight the server stops every ~250 small events until the client's window update
 * comes back, so a subscription moves at most 64 KiB per round trip: about 1.3 MB/s between data centres
 * 50 ms apart, and on one machine the server and the link wake each other up for every few events (the
 * bench measured 20-30 % less CPU per copied event, on both sides, with a larger window). The window also
 * bounds what a paused subscription leaves buffered in the client, so it stays small beside a link's buffer.
 */
export const SUBSCRIPTION_RECEIVE_WINDOW_BYTES = 1024 * 1024;

interface ClientChannelInternals {
  createChannel(): Promise<GrpcJs.Channel>;
}

interface ChannelInternals {
  internalChannel?: { credentials?: unknown; options?: Record<string, unknown> };
}

/**
 * Makes every channel `client` opens (now and after reconnections) advertise a receive window of `bytes`.
 * The client (6.2.1) builds its channels with fixed options, so its `createChannel` is wrapped: the channel
 * it makes (connections open lazily, so none is open yet) is replaced by one with the same target,
 * credentials and options plus grpc-js's `grpc-node.flow_control_window`. Use it on clients that only a
 * subscription uses: the window is per connection.
 */
export function withReceiveWindow(
  client: EventStoreDBClient,
  bytes = SUBSCRIPTION_RECEIVE_WINDOW_BYTES,
): EventStoreDBClient {
  const internals = client as unknown as Partial<ClientChannelInternals>;
  const original = internals.createChannel;
  if (typeof original !== 'function') {
    throw new LinkerError(
      'ESDBL_CLIENT_INCOMPATIBLE',
      '@eventstore/db-client internals changed (Client.createChannel not found); esdb-linker needs version 6.2.1',
    );
  }
  internals.createChannel = async () => {
    const made = await original();
    const inner = (made as unknown as ChannelInternals).internalChannel;
    if (!(inner?.credentials instanceof grpc.ChannelCredentials) || typeof inner.options !== 'object') {
      // A grpc-js whose channel keeps these elsewhere: the client's own channel, with the default window.
      return made;
    }
    const options = { ...inner.options, 'grpc-node.flow_control_window': bytes };
    const target = made.getTarget();
    made.close();
    return new grpc.Channel(target, inner.credentials, options);
  };
  return client;
}
