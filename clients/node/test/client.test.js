// @ts-check
'use strict';
// Unit checks that need no server: event ids are made once, and which codes are retried.
const test = require('node:test');
const assert = require('node:assert');
const grpc = require('@grpc/grpc-js');
const { withEventId, RETRYABLE } = require('..');

test('an event id is made once and kept', () => {
  const usage = withEventId({ dimension: 'd', quantity: 1 });
  assert.match(usage.event_id, /^[0-9a-f-]{36}$/);
  assert.strictEqual(withEventId(usage).event_id, usage.event_id);
});

test('only transient codes are retried', () => {
  assert.ok(RETRYABLE.has(grpc.status.UNAVAILABLE));
  assert.ok(RETRYABLE.has(grpc.status.DEADLINE_EXCEEDED));
  assert.ok(RETRYABLE.has(grpc.status.RESOURCE_EXHAUSTED));
  assert.ok(!RETRYABLE.has(grpc.status.INVALID_ARGUMENT));
  assert.ok(!RETRYABLE.has(grpc.status.ALREADY_EXISTS));
});
