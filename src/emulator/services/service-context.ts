import type { Logger } from 'pino';
import type { CallTracker } from '../call-tracker.js';
import type { FaultState } from '../faults.js';
import type { NodeRole } from '../node/node-role.js';
import type { CallSecurity } from '../security/call-security.js';
import type { EventStore } from '../store/event-store.js';

/** Everything a service handler needs; built once per emulator instance. */
export interface ServiceContext {
  readonly store: EventStore;
  readonly faults: FaultState;
  readonly calls: CallTracker;
  /** Authentication and ACL checks (every call is the system user in insecure mode). */
  readonly security: CallSecurity;
  readonly logger: Logger;
  readonly maxAppendSize: number;
  readonly batchAppend: boolean;
  readonly host: string;
  /** The bound port (known only after listening). */
  port(): number;
  now(): number;
  /** This node's place in its cluster: what it refuses, and the members gossip reports. */
  readonly node: NodeRole;
}
