// @ts-check
'use strict';
/**
 * Node.js client for metering-sidecar.
 *
 * Every event gets a stable event id (a UUID made once per event, before the first attempt), and
 * UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are retried with backoff reusing that id,
 * within a retry budget. Every call has a deadline. A retry therefore never bills twice, and a
 * sidecar restart never loses usage.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.join(__dirname, 'proto');
const definition = protoLoader.loadSync(path.join(PROTO_DIR, 'meteringsidecar', 'v1', 'sidecar.proto'), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
const loaded = /** @type {any} */ (grpc.loadPackageDefinition(definition));
const MeteringSidecar = loaded.meteringsidecar.v1.MeteringSidecar;

const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED]);

/**
 * @typedef {object} Usage
 * @property {string} dimension
 * @property {number | string} quantity
 * @property {string} [customer_aws_account_id]
 * @property {string} [customer_identifier]
 * @property {string} [license_arn]
 * @property {string} [product_code]
 * @property {Date} [timestamp]
 * @property {Record<string, string>} [tags]
 * @property {string} [event_id] generated once when absent
 */

/**
 * @typedef {object} ClientOptions
 * @property {number} [timeoutMs] deadline of each attempt (default 5000)
 * @property {number} [retryBudgetMs] total time spent retrying one call (default 60000)
 * @property {string} [token] bearer token, when the sidecar runs with --api-token-file
 * @property {string} [tokenFile] file holding the token
 */

/**
 * Give the event its id once, so every retry carries the same one.
 * @param {Usage} usage
 * @returns {Usage & {event_id: string}}
 */
function withEventId(usage) {
  return { ...usage, event_id: usage.event_id || crypto.randomUUID() };
}

/** @param {Usage & {event_id: string}} usage */
function toMessage(usage) {
  /** @type {any} */
  const message = { ...usage, quantity: String(usage.quantity), tags: usage.tags || {} };
  if (usage.timestamp) {
    const ms = usage.timestamp.getTime();
    message.timestamp = { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
  }
  return message;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class MeteringClient {
  /**
   * @param {string} [target] host:port or unix:///path (default 127.0.0.1:50051)
   * @param {ClientOptions} [options]
   */
  constructor(target = '127.0.0.1:50051', options = {}) {
    this.target = target;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryBudgetMs = options.retryBudgetMs ?? 60000;
    const token = options.tokenFile ? fs.readFileSync(options.tokenFile, 'utf8').trim() : options.token;
    this.metadata = new grpc.Metadata();
    if (token) this.metadata.set('authorization', `Bearer ${token}`);
    this.stub = new MeteringSidecar(target, grpc.credentials.createInsecure());
  }

  /**
   * Call one RPC with a deadline per attempt, retrying retryable codes with capped, jittered backoff.
   * @param {string} method
   * @param {object} request
   * @returns {Promise<any>}
   */
  async call(method, request) {
    const giveUpAt = Date.now() + this.retryBudgetMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise((resolve, reject) => {
          const deadline = new Date(Date.now() + this.timeoutMs);
          this.stub[method](request, this.metadata, { deadline }, (/** @type {any} */ err, /** @type {any} */ res) =>
            err ? reject(err) : resolve(res));
        });
      } catch (err) {
        const e = /** @type {any} */ (err);
        const wait = Math.random() * Math.min(2000, 50 * 2 ** attempt);
        if (!RETRYABLE.has(e.code) || Date.now() + wait >= giveUpAt) throw err;
        await sleep(wait);
      }
    }
  }

  /**
   * Record one event; resolves once it is durable in the sidecar.
   * @param {Usage} usage
   * @returns {Promise<{duplicate: boolean, event_id: string}>}
   */
  recordUsage(usage) {
    return this.call('RecordUsage', { event: toMessage(withEventId(usage)) });
  }

  /**
   * Record up to 1000 events, all or nothing.
   * @param {Usage[]} usages
   * @returns {Promise<{accepted: number, duplicates: number}>}
   */
  recordUsageBatch(usages) {
    const events = usages.map((u) => toMessage(withEventId(u)));
    return this.call('RecordUsageBatch', { events });
  }

  /**
   * Return entitlements; filters: product_code, customer_aws_account_id, customer_identifier, license_arn, dimension.
   * @param {Record<string, string>} [filters]
   */
  getEntitlements(filters = {}) {
    return this.call('GetEntitlements', filters);
  }

  /**
   * The one-line check: is this customer entitled (to this dimension)?
   * @param {Record<string, string>} request
   * @returns {Promise<{entitled: boolean, entitlement: any, stale: boolean}>}
   */
  checkEntitlement(request) {
    return this.call('CheckEntitlement', request);
  }

  /**
   * Resolve a buyer's registration token (x-amzn-marketplace-token) and bind it to a tenant.
   * @param {string} registrationToken
   * @param {string} [tenantId]
   */
  resolveCustomer(registrationToken, tenantId = '') {
    return this.call('ResolveCustomer', { registration_token: registrationToken, tenant_id: tenantId });
  }

  /** Return the sidecar's status. */
  status() {
    return this.call('GetStatus', {});
  }

  /** Close the channel. */
  close() {
    this.stub.close();
  }
}

module.exports = { MeteringClient, RETRYABLE, withEventId };
