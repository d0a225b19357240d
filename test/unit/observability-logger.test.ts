import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, type LoggerSettings } from '../../src/observability/logger.js';
import { LinkerError } from '../../src/shared/errors.js';

// Parsed response bodies and log lines are checked field by field: their shape is what is under test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const SECRET = 's3cr3t-Pa55';

function capture(settings: LoggerSettings = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.length > 0),
      );
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', ...settings, destination });
  const json = () => lines.map((l) => JSON.parse(l) as Json);
  return { logger, lines, json };
}

test('JSON lines carry a level label, an ISO time and the message', () => {
  const { logger, json } = capture();
  logger.info('hello');
  const [line] = json();
  assert.equal(line?.level, 'info');
  assert.equal(line?.msg, 'hello');
  assert.ok(!Number.isNaN(Date.parse(String(line?.time))), `time ${line?.time}`);
});

test('a link child logger names the link on every line', () => {
  const { logger, json } = capture();
  const link = logger.child({ link: 'a-to-b' });
  link.info('one');
  link.warn({ events: 3 }, 'two');
  assert.deepEqual(
    json().map((l) => [l.link, l.msg]),
    [
      ['a-to-b', 'one'],
      ['a-to-b', 'two'],
    ],
  );
});

test('connectionString values are masked at any depth, in objects and arrays', () => {
  const { logger, lines, json } = capture();
  logger.info(
    {
      node: { name: 'db1', connectionString: `esdb://admin:${SECRET}@db1:2113?tls=false` },
      config: { nodes: [{ name: 'db2', connection_string: `esdb+discover://ops:${SECRET}@db2:2113` }] },
    },
    'connecting',
  );
  assert.ok(!lines.join('\n').includes(SECRET), lines.join('\n'));
  const [line] = json();
  assert.equal(line?.node.connectionString, 'esdb://***:***@db1:2113?tls=false');
  assert.equal(line?.config.nodes[0].connection_string, 'esdb+discover://***:***@db2:2113');
  assert.equal(line?.node.name, 'db1');
});

test('secret-named keys are censored and credentials in free text masked', () => {
  const { logger, lines, json } = capture();
  logger.info({ auth: { password: SECRET, token: SECRET }, note: `via esdb://u:${SECRET}@h:1` }, 'secrets');
  logger.info('connect to %s', `esdb://u:${SECRET}@h:2`);
  assert.ok(!lines.join('\n').includes(SECRET), lines.join('\n'));
  const [first, second] = json();
  assert.equal(first?.auth.password, '[redacted]');
  assert.equal(first?.auth.token, '[redacted]');
  assert.equal(first?.note, 'via esdb://***:***@h:1');
  assert.equal(second?.msg, 'connect to esdb://***:***@h:2');
});

test('child bindings holding a connection string are masked', () => {
  const { logger, lines, json } = capture();
  logger.child({ link: 'x', origin: { connectionString: `esdb://admin:${SECRET}@o:2113` } }).info('bound');
  assert.ok(!lines.join('\n').includes(SECRET), lines.join('\n'));
  assert.equal(json()[0]?.link, 'x');
});

test('errors are serialized with code, details and cause, all redacted', () => {
  const { logger, lines, json } = capture();
  const err = new LinkerError('ESDBL_TEST_BOOM', `cannot reach esdb://ops:${SECRET}@db1:2113`, {
    cause: new Error(`socket to esdb://ops:${SECRET}@db1:2113 closed`),
    details: { connectionString: `esdb://ops:${SECRET}@db1:2113` },
  });
  logger.error({ err }, 'append failed');
  logger.error(err);
  assert.ok(!lines.join('\n').includes(SECRET), lines.join('\n'));
  const [withObj, bare] = json();
  assert.equal(withObj?.err.code, 'ESDBL_TEST_BOOM');
  assert.equal(withObj?.err.type, 'LinkerError');
  assert.equal(withObj?.err.message, 'cannot reach esdb://***:***@db1:2113');
  assert.match(String(withObj?.err.stack), /LinkerError/);
  assert.equal(withObj?.err.details.connectionString, 'esdb://***:***@db1:2113');
  assert.equal(withObj?.err.cause.message, 'socket to esdb://***:***@db1:2113 closed');
  assert.equal(bare?.err.code, 'ESDBL_TEST_BOOM');
  assert.equal(bare?.msg, 'cannot reach esdb://***:***@db1:2113');
});

test('circular objects are logged, not thrown on', () => {
  const { logger, json } = capture();
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  logger.info({ a }, 'cycle');
  assert.equal(json()[0]?.a.self, '[circular]');
});

test('levels below the configured one are dropped', () => {
  const { logger, json } = capture({ level: 'warn' });
  logger.info('quiet');
  logger.warn('loud');
  assert.deepEqual(
    json().map((l) => l.msg),
    ['loud'],
  );
});

test('pretty format writes human-readable, redacted lines', () => {
  const { logger, lines } = capture({ format: 'pretty' });
  logger.child({ link: 'a-to-b' }).info({ connectionString: `esdb://u:${SECRET}@h:1` }, 'pretty line');
  const text = lines.join('\n');
  assert.ok(!text.includes(SECRET), text);
  assert.throws(() => JSON.parse(lines[0] ?? ''), 'not JSON');
  assert.match(text, /INFO/);
  assert.match(text, /pretty line/);
  assert.match(text, /a-to-b/);
  assert.match(text, /esdb:\/\/\*\*\*:\*\*\*@h:1/);
});

test('masking never spans two JSON strings, and handles escaped characters in a password', () => {
  const { logger, lines, json } = capture();
  logger.info({ url: 'http://127.0.0.1:8113', email: 'ops@example.com' }, 'endpoint');
  const tricky = 'pa"ss\\w0rd';
  logger.info(`connect to esdb://admin:${tricky}@db1:2113`);
  logger.child({ origin: `esdb://admin:${tricky}@db2:2113` }).info('bound');
  const [plain, message, bound] = json();
  assert.equal(plain?.url, 'http://127.0.0.1:8113');
  assert.equal(plain?.email, 'ops@example.com');
  assert.equal(message?.msg, 'connect to esdb://***:***@db1:2113');
  assert.equal(bound?.origin, 'esdb://***:***@db2:2113');
  assert.ok(!lines.join('\n').includes('ss\\\\w0rd'), lines.join('\n'));
});
