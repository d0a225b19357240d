import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { rpcErrors } from '../wire/rpc-errors.js';
import type { ServiceContext } from './service-context.js';

/** The server version the emulator claims (the protocol it serves matches 24.10's v1 API). */
export const EMULATED_SERVER_VERSION = '24.10.0';

interface SupportedMethod {
  method_name: string;
  service_name: string;
  features: string[];
}

/**
 * The methods the emulator serves, advertised the way the real server's ServerFeatures does (lower-cased,
 * with the same feature strings). DEVIATION (documented): persistent subscriptions, projections, users,
 * operations and monitoring are not served, so they are not advertised either.
 */
export function supportedMethods(batchAppend: boolean): SupportedMethod[] {
  const streams = 'event_store.client.streams.streams';
  const methods: SupportedMethod[] = [
    { method_name: 'read', service_name: streams, features: ['position', 'events'] },
    { method_name: 'append', service_name: streams, features: [] },
    { method_name: 'delete', service_name: streams, features: [] },
    { method_name: 'tombstone', service_name: streams, features: [] },
  ];
  if (batchAppend) methods.push({ method_name: 'batchappend', service_name: streams, features: ['deadline_duration'] });
  methods.push(
    {
      method_name: 'getsupportedmethods',
      service_name: 'event_store.client.server_features.serverfeatures',
      features: [],
    },
    { method_name: 'read', service_name: 'event_store.client.gossip.gossip', features: [] },
  );
  return methods;
}

export function serverFeaturesHandler(ctx: ServiceContext) {
  const response = { methods: supportedMethods(ctx.batchAppend), event_store_server_version: EMULATED_SERVER_VERSION };
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    if (ctx.faults.isUnavailable()) return callback(rpcErrors.unavailable());
    callback(null, response);
  };
}
