// Original file: meteringsidecar/v1/sidecar.proto

import type { Customer as _meteringsidecar_v1_Customer, Customer__Output as _meteringsidecar_v1_Customer__Output } from '../../meteringsidecar/v1/Customer';

export interface ListCustomersResponse {
  'customers'?: (_meteringsidecar_v1_Customer)[];
  'next_page_token'?: (string);
}

export interface ListCustomersResponse__Output {
  'customers': (_meteringsidecar_v1_Customer__Output)[];
  'next_page_token': (string);
}
