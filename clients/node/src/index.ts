/**
 * Node.js client for metering-sidecar.
 *
 * Every event gets a stable event id (a UUID made once per event, before the first attempt), so a
 * retry never bills twice. UNAVAILABLE, RESOURCE_EXHAUSTED, a CANCELLED the server sent (a sidecar
 * shutting down) and an attempt's own deadline are retried with capped, jittered backoff reusing that
 * id, within a retry budget. A call's own deadline (`deadlineMs`) and the caller's cancellation
 * (`signal`) end it and are never retried. Every attempt has a deadline (`timeoutMs`).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/sidecar';
import type { MeteringSidecarClient } from './generated/meteringsidecar/v1/MeteringSidecar';
import type { UsageEvent } from './generated/meteringsidecar/v1/UsageEvent';
import type { RecordUsageResponse__Output } from './generated/meteringsidecar/v1/RecordUsageResponse';
import type { RecordUsageBatchResponse__Output } from './generated/meteringsidecar/v1/RecordUsageBatchResponse';
import type { GetEntitlementsRequest } from './generated/meteringsidecar/v1/GetEntitlementsRequest';
import type { GetEntitlementsResponse__Output } from './generated/meteringsidecar/v1/GetEntitlementsResponse';
import type { CheckEntitlementRequest } from './generated/meteringsidecar/v1/CheckEntitlementRequest';
import type { CheckEntitlementResponse__Output } from './generated/meteringsidecar/v1/CheckEntitlementResponse';
import type { ResolveCustomerResponse__Output } from './generated/meteringsidecar/v1/ResolveCustomerResponse';
import type { GetStatusResponse__Output } from './generated/meteringsidecar/v1/GetStatusResponse';

export type {
  RecordUsageResponse__Output as RecordUsageResponse,
  RecordUsageBatchResponse__Output as RecordUsageBatchResponse,
  GetEntitlementsResponse__Output as GetEntitlementsResponse,
  CheckEntitlementResponse__Output as CheckEntitlementResponse,
  ResolveCustomerResponse__Output as ResolveCustomerResponse,
  GetStatusResponse__Output as GetStatusResponse,
};

const PROTO_DIR = path.join(__dirname, '..', 'proto');
const definition = protoLoader.loadSync(path.join(PROTO_DIR, 'meteringsidecar', 'v1', 'sidecar.proto'), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;

/** Codes retried with the same event ids (while the caller has neither cancelled nor run out of time). */
export const RETRYABLE: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
]);

/** One usage event. */
export interface Usage {
  dimension: string;
  quantity: number | string;
  customer_aws_account_id?: string;
  customer_identifier?: string;
  license_arn?: string;
  product_code?: string;
  timestamp?: Date;
  tags?: Record<string, string>;
  /** Generated once when absent (and set here), and reused on every retry and every later call. */
  event_id?: string;
}

/** How a client talks to the sidecar. */
export interface ClientOptions {
  /** Deadline of each attempt (default 5000). */
  timeoutMs?: number;
  /** Most time one call spends, retries included, when it has no deadline (default 60000). */
  retryBudgetMs?: number;
  /** Bearer token, when the sidecar runs with --api-token-file. */
  token?: string;
  /** File holding the token. */
  tokenFile?: string;
}

/** Per-call options. */
export interface CallOptions {
  /** The call's deadline, retries included; when it passes the call fails with DEADLINE_EXCEEDED. */
  deadlineMs?: number;
  /** Aborting cancels the call (CANCELLED); it is never retried. */
  signal?: AbortSignal;
}

/** The error a call fails with: a gRPC status code and its details. */
export type CallError = grpc.ServiceError;

/** Give the event its id once, so every retry carries the same one. */
export function withEventId(usage: Usage): Usage & { event_id: string } {
  // Fixed on the caller's object, as the Go, Java and Python clients do: an application that calls
  // again with the same usage (after DEADLINE_EXCEEDED, say) resends the same event, never a new one.
  if (!usage.event_id) usage.event_id = crypto.randomUUID();
  return usage as Usage & { event_id: string };
}

function toMessage(usage: Usage & { event_id: string }): UsageEvent {
  const { timestamp, ...rest } = usage;
  const message: UsageEvent = { ...rest, quantity: String(usage.quantity), tags: usage.tags ?? {} };
  if (timestamp) {
    const ms = timestamp.getTime();
    message.timestamp = { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
  }
  return message;
}

function callError(code: grpc.status, details: string): CallError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: Res) => void,
) => grpc.ClientUnaryCall;

export class MeteringClient {
  readonly target: string;
  readonly timeoutMs: number;
  readonly retryBudgetMs: number;
  readonly metadata: grpc.Metadata;
  private readonly stub: MeteringSidecarClient;

  /**
   * @param target host:port or unix:///path (default 127.0.0.1:50051)
   */
  constructor(target = '127.0.0.1:50051', options: ClientOptions = {}) {
    this.target = target;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryBudgetMs = options.retryBudgetMs ?? 60000;
    const token = options.tokenFile ? fs.readFileSync(options.tokenFile, 'utf8').trim() : options.token;
    this.metadata = new grpc.Metadata();
    if (token) this.metadata.set('authorization', `Bearer ${token}`);
    this.stub = new loaded.meteringsidecar.v1.MeteringSidecar(target, grpc.credentials.createInsecure());
  }

  private attempt<Req, Res>(method: Unary<Req, Res>, request: Req, timeoutMs: number, signal?: AbortSignal): Promise<Res> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      const onAbort = (): void => call.cancel();
      const call = method.call(this.stub, request, this.metadata, { deadline }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One call: a deadline per attempt, retrying retryable codes with capped, jittered backoff. */
  private async call<Req, Res>(method: Unary<Req, Res>, request: Req, options: CallOptions = {}): Promise<Res> {
    const { signal } = options;
    const start = Date.now();
    const end = options.deadlineMs === undefined ? Infinity : start + options.deadlineMs;
    const giveUpAt = start + this.retryBudgetMs;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw callError(grpc.status.CANCELLED, 'cancelled by the caller');
      const remaining = end - Date.now();
      if (remaining <= 0) throw callError(grpc.status.DEADLINE_EXCEEDED, "the call's deadline passed");
      const boundByCaller = remaining <= this.timeoutMs;
      try {
        return await this.attempt(method, request, Math.min(this.timeoutMs, remaining), signal);
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (signal?.aborted) throw callError(grpc.status.CANCELLED, 'cancelled by the caller');
        if (e.code === grpc.status.DEADLINE_EXCEEDED && boundByCaller) throw e;
        const wait = Math.random() * Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
        if (!RETRYABLE.has(e.code) || Date.now() + wait >= giveUpAt) throw e;
        await sleep(Math.min(wait, Math.max(0, end - Date.now())), signal);
      }
    }
  }

  /** Record one event; resolves once it is durable in the sidecar. */
  recordUsage(usage: Usage, options?: CallOptions): Promise<RecordUsageResponse__Output> {
    return this.call(this.stub.RecordUsage as Unary<unknown, RecordUsageResponse__Output>,
      { event: toMessage(withEventId(usage)) }, options);
  }

  /** Record up to 1000 events, all or nothing. */
  recordUsageBatch(usages: Usage[], options?: CallOptions): Promise<RecordUsageBatchResponse__Output> {
    const events = usages.map((u) => toMessage(withEventId(u)));
    return this.call(this.stub.RecordUsageBatch as Unary<unknown, RecordUsageBatchResponse__Output>, { events }, options);
  }

  /** Return entitlements (filters: product_code, customer_aws_account_id, customer_identifier, license_arn, dimension). */
  getEntitlements(filters: GetEntitlementsRequest = {}, options?: CallOptions): Promise<GetEntitlementsResponse__Output> {
    return this.call(this.stub.GetEntitlements as Unary<unknown, GetEntitlementsResponse__Output>, filters, options);
  }

  /** The one-line check: is this customer entitled (to this dimension)? */
  checkEntitlement(request: CheckEntitlementRequest, options?: CallOptions): Promise<CheckEntitlementResponse__Output> {
    return this.call(this.stub.CheckEntitlement as Unary<unknown, CheckEntitlementResponse__Output>, request, options);
  }

  /** Resolve a buyer's registration token (x-amzn-marketplace-token) and bind it to a tenant. */
  resolveCustomer(registrationToken: string, tenantId = '', options?: CallOptions): Promise<ResolveCustomerResponse__Output> {
    return this.call(this.stub.ResolveCustomer as Unary<unknown, ResolveCustomerResponse__Output>,
      { registration_token: registrationToken, tenant_id: tenantId }, options);
  }

  /** The sidecar's status. */
  status(options?: CallOptions): Promise<GetStatusResponse__Output> {
    return this.call(this.stub.GetStatus as Unary<unknown, GetStatusResponse__Output>, {}, options);
  }

  /** Close the channel. */
  close(): void {
    this.stub.close();
  }
}
