// Types for index.js. Message shapes come from generated/ (proto-loader-gen-types).
import type { Metadata } from '@grpc/grpc-js';
import type { RecordUsageResponse__Output } from './generated/meteringsidecar/v1/RecordUsageResponse';
import type { RecordUsageBatchResponse__Output } from './generated/meteringsidecar/v1/RecordUsageBatchResponse';
import type { GetEntitlementsResponse__Output } from './generated/meteringsidecar/v1/GetEntitlementsResponse';
import type { CheckEntitlementResponse__Output } from './generated/meteringsidecar/v1/CheckEntitlementResponse';
import type { ResolveCustomerResponse__Output } from './generated/meteringsidecar/v1/ResolveCustomerResponse';
import type { GetStatusResponse__Output } from './generated/meteringsidecar/v1/GetStatusResponse';

export interface Usage {
  dimension: string;
  quantity: number | string;
  customer_aws_account_id?: string;
  customer_identifier?: string;
  license_arn?: string;
  product_code?: string;
  timestamp?: Date;
  tags?: Record<string, string>;
  /** Generated once when absent, and reused on every retry. */
  event_id?: string;
}

export interface ClientOptions {
  timeoutMs?: number;
  retryBudgetMs?: number;
  token?: string;
  tokenFile?: string;
}

export declare const RETRYABLE: Set<number>;
export declare function withEventId(usage: Usage): Usage & { event_id: string };

export declare class MeteringClient {
  constructor(target?: string, options?: ClientOptions);
  readonly metadata: Metadata;
  recordUsage(usage: Usage): Promise<RecordUsageResponse__Output>;
  recordUsageBatch(usages: Usage[]): Promise<RecordUsageBatchResponse__Output>;
  getEntitlements(filters?: Record<string, string>): Promise<GetEntitlementsResponse__Output>;
  checkEntitlement(request: Record<string, string>): Promise<CheckEntitlementResponse__Output>;
  resolveCustomer(registrationToken: string, tenantId?: string): Promise<ResolveCustomerResponse__Output>;
  status(): Promise<GetStatusResponse__Output>;
  close(): void;
}
