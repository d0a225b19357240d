import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * HTTP/2 receive windows of the real server: KurrentDB runs on Kestrel, whose defaults are 768 KiB per stream
 * and 1 MiB per connection. grpc-js keeps HTTP/2's 64 KiB for both and has no option for its server, so
 * without this an append of a few large events waited for a window update every 64 KiB (16 KiB events
 * went at ~28 MB/s on loopback), which no client of a real server sees.
 */
export const SERVER_STREAM_WINDOW_BYTES = 768 * 1024;
export const SERVER_CONNECTION_WINDOW_BYTES = 1024 * 1024;

interface ServerInternals {
  http2Servers?: Map<Http2Server, unknown>;
}

function widen(session: Http2Session): void {
  try {
    session.settings({ initialWindowSize: SERVER_STREAM_WINDOW_BYTES });
    session.setLocalWindowSize(SERVER_CONNECTION_WINDOW_BYTES);
  } catch {
    // A session closing as it opens: nothing to widen.
  }
}

/**
 * Gives every connection a bound grpc-js server accepts the real server's receive windows. Call after
 * `bindAsync` succeeded. Returns false when this grpc-js keeps its HTTP/2 servers elsewhere (the windows
 * then stay at 64 KiB: slower for large events, still correct).
 */
export function widenReceiveWindows(server: Server): boolean {
  const servers = (server as unknown as ServerInternals).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  for (const http2Server of servers.keys()) {
    if (typeof http2Server.on !== 'function') return false;
    http2Server.on('session', widen);
  }
  return true;
}
