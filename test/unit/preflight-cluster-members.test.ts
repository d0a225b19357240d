import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterMembers } from '../../src/preflight/cluster-members.js';

test('a multi-host string gives one single-host string per member, with the same credentials and options', () => {
  const cs = 'esdb://u:p%40ss@10.0.0.1:2113,[::1]:2114,db3:2115?tls=true&tlsCAFile=/c/ca.crt&nodePreference=follower';
  assert.deepEqual(clusterMembers(cs), [
    {
      endpoint: '10.0.0.1:2113',
      connectionString: 'esdb://u:p%40ss@10.0.0.1:2113?tls=true&tlsCAFile=/c/ca.crt&nodePreference=follower',
    },
    {
      endpoint: '[::1]:2114',
      connectionString: 'esdb://u:p%40ss@[::1]:2114?tls=true&tlsCAFile=/c/ca.crt&nodePreference=follower',
    },
    {
      endpoint: 'db3:2115',
      connectionString: 'esdb://u:p%40ss@db3:2115?tls=true&tlsCAFile=/c/ca.crt&nodePreference=follower',
    },
  ]);
  assert.deepEqual(
    clusterMembers('esdb://a:1,b:2')?.map((m) => m.connectionString),
    ['esdb://a:1', 'esdb://b:2'],
  );
});

test('a single host or a DNS-discovery string is one node, not a member list', () => {
  assert.equal(clusterMembers('esdb://admin:changeit@127.0.0.1:2113?tls=true'), undefined);
  assert.equal(clusterMembers('esdb+discover://cluster.example:2113,other:2113?tls=false'), undefined);
  assert.equal(clusterMembers('not a connection string'), undefined);
});
