import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timingProblem } from '../../src/coordination/cluster-settings.js';
import { assignLinks } from '../../src/coordination/rendezvous.js';

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function counts(assignment: Map<string, string>, members: readonly string[]): number[] {
  return members.map((m) => [...assignment.values()].filter((v) => v === m).length);
}

describe('capped rendezvous assignment', () => {
  it('assigns every link once and keeps max - min < 2 for many sizes', () => {
    for (let n = 0; n <= 40; n += 3) {
      for (let m = 1; m <= 7; m++) {
        const links = names('l', n);
        const members = names('m', m);
        const a = assignLinks(links, members);
        assert.equal(a.size, n);
        const c = counts(a, members);
        assert.ok(Math.max(...c) - Math.min(...c) < 2, `${n} links on ${m}: ${c.join('/')}`);
        assert.ok(Math.max(...c) <= Math.ceil(n / m));
      }
    }
  });

  it('is the same on every member: order of inputs does not matter', () => {
    const links = names('orders-', 12);
    const members = ['x', 'y', 'z'];
    assert.deepEqual(
      [...assignLinks(links, members)].sort(),
      [...assignLinks([...links].reverse(), [...members].reverse())].sort(),
    );
  });

  it('a join moves at most ceil(N/M) links, all to the newcomer; a leave moves only the leaver links', () => {
    for (const n of [6, 10, 17, 30]) {
      const links = names('link-', n);
      const three = ['a', 'b', 'c'];
      const before = assignLinks(links, three);
      const after = assignLinks(links, [...three, 'd']);
      const moved = links.filter((l) => before.get(l) !== after.get(l));
      assert.ok(moved.length <= Math.ceil(n / 4) + 1, `join moved ${moved.length} of ${n}`);
      const leave = assignLinks(links, ['a', 'b']);
      const movedOnLeave = links.filter((l) => before.get(l) !== leave.get(l));
      const cLinks = links.filter((l) => before.get(l) === 'c');
      // The cap can force a few more than the leaver's own links to move, never many.
      assert.ok(movedOnLeave.length <= cLinks.length + Math.ceil(n / 3), `leave moved ${movedOnLeave.length}`);
      for (const l of cLinks) assert.notEqual(leave.get(l), 'c');
    }
  });

  it('no members: nothing assigned', () => {
    assert.equal(assignLinks(['a'], []).size, 0);
  });
});

describe('lease timing rule', () => {
  it('accepts the defaults and refuses renew + giveUp >= ttl', () => {
    assert.equal(timingProblem({ leaseTtlMs: 15_000, renewIntervalMs: 3_000, giveUpAfterMs: 10_000 }), null);
    assert.match(
      timingProblem({ leaseTtlMs: 12_000, renewIntervalMs: 3_000, giveUpAfterMs: 10_000 }) ?? '',
      /must be below leaseTtlMs/,
    );
  });
});
