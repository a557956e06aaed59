// @ts-check
'use strict';
// Unit checks that need no sidecar: event ids are made once, which codes are retried, and the
// caller's deadline and cancellation end a call (a closed loopback port answers UNAVAILABLE).
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const grpc = require('@grpc/grpc-js');
const { MeteringClient, withEventId, RETRYABLE } = require('..');

/** @returns {Promise<string>} a loopback address with nothing listening */
function closedPort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(`127.0.0.1:${address.port}`));
    });
  });
}

test('an event id is made once and kept', () => {
  const usage = withEventId({ dimension: 'd', quantity: 1 });
  assert.match(usage.event_id, /^[0-9a-f-]{36}$/);
  assert.strictEqual(withEventId(usage).event_id, usage.event_id);
});

test('transient codes are retried, refusals are not', () => {
  for (const code of [grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.CANCELLED,
    grpc.status.DEADLINE_EXCEEDED]) assert.ok(RETRYABLE.has(code));
  for (const code of [grpc.status.INVALID_ARGUMENT, grpc.status.ALREADY_EXISTS, grpc.status.UNAUTHENTICATED]) {
    assert.ok(!RETRYABLE.has(code));
  }
});

test("the call's deadline ends retries with DEADLINE_EXCEEDED", async () => {
  const client = new MeteringClient(await closedPort(), { timeoutMs: 1000 });
  const start = Date.now();
  await assert.rejects(client.recordUsage({ dimension: 'd', quantity: 1 }, { deadlineMs: 400 }),
    (/** @type {any} */ err) => err.code === grpc.status.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - start < 2000);
  client.close();
});

test("the caller's abort ends retries with CANCELLED", async () => {
  const client = new MeteringClient(await closedPort());
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(client.recordUsage({ dimension: 'd', quantity: 1 }, { signal: controller.signal }),
    (/** @type {any} */ err) => err.code === grpc.status.CANCELLED);
  client.close();
});

test('the generated event id is set on the caller object, so calling again resends the same event', () => {
  const usage = { dimension: 'requests', quantity: 1 };
  const first = withEventId(usage);
  assert.ok(usage.event_id, 'the id is on the caller object');
  assert.strictEqual(withEventId(usage).event_id, first.event_id);
  const batch = [{ dimension: 'requests', quantity: 2 }];
  batch.map(withEventId);
  assert.ok(batch[0].event_id);
});
