import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseLeader, hasQuorum } from '../../src/emulator/cluster/election.js';
import { Member } from '../../src/emulator/cluster/member.js';
import { LinkerError } from '../../src/shared/errors.js';

const nodes = (...alive: boolean[]) => alive.map((a, index) => ({ index, alive: a }));

test('a majority of the configured size is needed', () => {
  assert.equal(hasQuorum(2, 3), true);
  assert.equal(hasQuorum(1, 3), false);
  assert.equal(hasQuorum(2, 4), false);
  assert.equal(hasQuorum(3, 5), true);
  assert.equal(hasQuorum(1, 1), true);
});

test('the next leader is the next live node after the previous one, never the resigned one while another lives', () => {
  assert.equal(chooseLeader(nodes(true, true, true), undefined, undefined), 0);
  assert.equal(chooseLeader(nodes(true, true, true), 0, 0), 1);
  assert.equal(chooseLeader(nodes(true, true, true), 2, 2), 0);
  assert.equal(chooseLeader(nodes(true, false, true), 0, 0), 2);
  // A one-node cluster re-elects the node that resigned: nobody else can lead.
  assert.equal(chooseLeader(nodes(true), 0, 0), 0);
});

test('no leader without a majority', () => {
  assert.equal(chooseLeader(nodes(true, false, false), undefined, undefined), undefined);
  assert.equal(chooseLeader(nodes(false, false, false), 1, undefined), undefined);
});

test('a member moves only along the state machine and reports liveness from its state', () => {
  const m = new Member(0, '127.0.0.1', 0, '00000000-0000-0000-0000-000000000001');
  assert.equal(m.state, 'Initializing');
  assert.equal(m.isAlive, false);
  m.moveTo('Unknown');
  assert.equal(m.isAlive, true);
  assert.throws(
    () => m.moveTo('Leader'),
    (err: unknown) => err instanceof LinkerError && err.code === 'ESDBL_EMULATOR_STATE',
  );
  m.moveTo('PreLeader');
  m.moveTo('Leader');
  m.moveTo('ResigningLeader');
  m.moveTo('Unknown');
  m.moveTo('Follower');
  m.moveTo('ShuttingDown');
  assert.equal(m.isServing, false);
  assert.equal(m.isAlive, true);
  m.moveTo('Shutdown');
  assert.equal(m.isAlive, false);
  assert.throws(() => m.moveTo('Follower'), /cannot go from Shutdown to Follower/);
  m.moveTo('Initializing');
});
