import { LinkerError } from '../shared/errors.js';
import type { LinkState } from './link-status.js';

const ALLOWED: Record<LinkState, readonly LinkState[]> = {
  idle: ['starting', 'stopped'],
  starting: ['running', 'draining', 'failed'],
  running: ['draining', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** The explicit state machine of a link; an invalid transition is a programming error and throws. */
export class LinkLifecycle {
  private current: LinkState = 'idle';

  constructor(private readonly onChange: (state: LinkState) => void) {}

  get state(): LinkState {
    return this.current;
  }

  transition(to: LinkState): void {
    if (!ALLOWED[this.current].includes(to)) {
      throw new LinkerError('ESDBL_LINK_INVALID_STATE', `link cannot go from ${this.current} to ${to}`, {
        details: { from: this.current, to },
      });
    }
    this.current = to;
    this.onChange(to);
  }

  is(...states: LinkState[]): boolean {
    return states.includes(this.current);
  }
}
