import type { LinkStatus } from '../link/link-status.js';
import type { DaemonStatus } from './status-types.js';

export interface NotReadyLink {
  link: string;
  state: LinkStatus['state'];
  /** Human-readable reasons, e.g. `state is starting`, `stalled`, `last error ESDBL_...: ...`. */
  reasons: string[];
}

export interface Readiness {
  ready: boolean;
  notReady: NotReadyLink[];
  /** Set when the daemon says it is not ready although no link explains why (still starting, no links). */
  reason?: string;
}

/**
 * Ready means the daemon says so AND every link is running and neither stalled nor failed. Checking the
 * links too keeps /health/ready honest even if a status source forgets to clear its flag, and lets the
 * 503 body say which links hold readiness back and why.
 */
export function assessReadiness(status: DaemonStatus): Readiness {
  const notReady: NotReadyLink[] = [];
  const member = status.cluster?.member;
  for (const link of status.links) {
    // In cluster mode a member answers for the links it owns; the others are their owners' business.
    if (member !== undefined && link.owner !== member) continue;
    // A link an operator paused is stopped on purpose.
    if (link.paused === true) continue;
    const reasons: string[] = [];
    if (link.state !== 'running') reasons.push(`state is ${link.state}`);
    if (link.stalled) reasons.push('stalled: no progress while work is pending');
    if ((link.state !== 'running' || link.stalled || link.retrying) && link.lastError) {
      reasons.push(`last error ${link.lastError.code}: ${link.lastError.message}`);
    }
    if (reasons.length > 0) notReady.push({ link: link.name, state: link.state, reasons });
  }
  const ready = status.ready && notReady.length === 0;
  const result: Readiness = { ready, notReady };
  const coordinator = status.cluster?.coordinator;
  if (!ready && coordinator && !coordinator.reachable) {
    result.reason = `the coordinator (${coordinator.location}) is unreachable: ${coordinator.lastError ?? 'no answer'}; held links stop after the give-up time`;
  } else if (!ready && notReady.length === 0) {
    result.reason = status.links.length === 0 ? 'no link is running' : 'the daemon reports not ready';
  }
  return result;
}
