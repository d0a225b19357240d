/**
 * Lua run atomically inside Redis: a lease is a key holding `<token>\n<json>`; whoever names the current
 * token may replace it (compare-and-set with a fresh expiry) or delete it. Never GET-then-SET from the
 * client, which would let a member overwrite or delete its successor's lease.
 */

/** KEYS[1] lease key; ARGV[1] expected token, ARGV[2] new value, ARGV[3] ttl ms. 1 = written. */
export const COMPARE_AND_PEXPIRE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '\\n' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`;

/** KEYS[1] lease key; ARGV[1] expected token. 1 = deleted. */
export const COMPARE_AND_DELETE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '\\n' then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * KEYS[1] members hash, KEYS[2] last-heartbeat sorted set; ARGV[1] member id, ARGV[2] record, ARGV[3] ms
 * after which a silent member's record is pruned. Only Redis's own clock is read (for pruning, never for
 * liveness, which members judge on their own clocks).
 */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
for _, id in ipairs(old) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #old
`;
