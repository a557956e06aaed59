// @ts-check
'use strict';
// Runs the language-neutral cases in clients/conformance against a real sidecar. tests/test_clients.py
// starts it once and writes one request per line on stdin; it answers each with one JSON line.
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const { MeteringClient } = require('..');

/** @param {any} request */
async function run(request) {
  const { client: options, call } = request;
  const client = new MeteringClient(request.target, {
    timeoutMs: options.attempt_timeout_ms || undefined,
    retryBudgetMs: options.retry_budget_ms || undefined,
    token: options.token || undefined,
  });
  // An absent event_id is left to the client to make (recordUsage copies the usage, so it is not
  // reported back here: the harness reads it from what the sidecar received).
  const usages = call.usages.map((/** @type {any} */ u) => ({ ...u, event_id: u.event_id || undefined }));
  const controller = new AbortController();
  const timer = call.cancel_after_ms ? setTimeout(() => controller.abort(), call.cancel_after_ms) : undefined;
  const callOptions = { deadlineMs: call.deadline_ms || undefined, signal: controller.signal };
  const result = { outcome: 'OK', event_ids: usages.map((/** @type {any} */ u) => u.event_id ?? null), message: '' };
  try {
    if (call.method === 'record') await client.recordUsage(usages[0], callOptions);
    else if (call.method === 'record_batch') await client.recordUsageBatch(usages, callOptions);
    else throw new Error(`unknown method ${call.method}`);
  } catch (err) {
    const e = /** @type {any} */ (err);
    result.outcome = e.code === undefined ? 'CLIENT_ERROR' : grpc.status[e.code];
    result.message = String(e.details ?? e.message);
  } finally {
    clearTimeout(timer);
    client.close();
  }
  return result;
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) process.stdout.write(`${JSON.stringify(await run(JSON.parse(line)))}\n`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
