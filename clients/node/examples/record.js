// node examples/record.js  (with a sidecar on 127.0.0.1:50051)
'use strict';
const { MeteringClient } = require('..');

async function main() {
  const client = new MeteringClient('127.0.0.1:50051');
  // One event with tags; the client gives it an event id and retries with that same id.
  await client.recordUsage({ customer_aws_account_id: '111122223333', dimension: 'requests', quantity: 3,
    tags: { team: 'search' } });
  // A batch, all or nothing.
  const batch = await client.recordUsageBatch([
    { customer_aws_account_id: '111122223333', dimension: 'requests', quantity: 1 },
    { customer_aws_account_id: '444455556666', dimension: 'gb_processed', quantity: 12 },
  ]);
  console.log('accepted', batch.accepted);
  // Check an entitlement before serving a request.
  const check = await client.checkEntitlement({ customer_aws_account_id: '111122223333', dimension: 'requests' });
  console.log('entitled', check.entitled);
  client.close();
}

main().catch((err) => { console.error(err); process.exit(1); });
