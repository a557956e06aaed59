// @ts-check
'use strict';
// Driven by tests/test_clients.py: send COUNT events through the client while the test kills and
// restarts the sidecar, then print what was acknowledged, per dimension, as one JSON line.
const { MeteringClient } = require('..');

async function main() {
  const target = process.env.TARGET || '127.0.0.1:50051';
  const count = Number(process.env.COUNT || '200');
  const prefix = process.env.PREFIX || 'node';
  const client = new MeteringClient(target, { timeoutMs: 2000, retryBudgetMs: 60000 });
  /** @type {Record<string, number>} */
  const acked = {};
  for (let i = 0; i < count; i++) {
    const usage = { event_id: `${prefix}-${i}`, customer_aws_account_id: '444455556666', dimension: i % 2 ? 'requests' : 'storage',
      quantity: 1 + (i % 7), tags: { team: i % 3 ? 'a' : 'b' } };
    if (i % 10 === 0) {
      await client.recordUsageBatch([usage]);
    } else {
      await client.recordUsage(usage);
    }
    acked[usage.dimension] = (acked[usage.dimension] || 0) + usage.quantity;
    if (i === Math.floor(count / 4)) console.error('QUARTER');
    await new Promise((r) => setTimeout(r, 5));
  }
  client.close();
  console.log(JSON.stringify({ acked }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
