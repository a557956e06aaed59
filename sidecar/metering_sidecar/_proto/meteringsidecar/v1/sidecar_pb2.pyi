import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageEvent(_message.Message):
    __slots__ = ("event_id", "customer_aws_account_id", "customer_identifier", "license_arn", "product_code", "dimension", "quantity", "timestamp", "tags", "azure_resource_id", "azure_plan_id", "quantity_decimal")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    AZURE_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    AZURE_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DECIMAL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    customer_aws_account_id: str
    customer_identifier: str
    license_arn: str
    product_code: str
    dimension: str
    quantity: int
    timestamp: _timestamp_pb2.Timestamp
    tags: _containers.ScalarMap[str, str]
    azure_resource_id: str
    azure_plan_id: str
    quantity_decimal: str
    def __init__(self, event_id: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., customer_identifier: _Optional[str] = ..., license_arn: _Optional[str] = ..., product_code: _Optional[str] = ..., dimension: _Optional[str] = ..., quantity: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ..., azure_resource_id: _Optional[str] = ..., azure_plan_id: _Optional[str] = ..., quantity_decimal: _Optional[str] = ...) -> None: ...

class RecordUsageRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: UsageEvent
    def __init__(self, event: _Optional[_Union[UsageEvent, _Mapping]] = ...) -> None: ...

class RecordUsageResponse(_message.Message):
    __slots__ = ("duplicate", "event_id")
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    duplicate: bool
    event_id: str
    def __init__(self, duplicate: _Optional[bool] = ..., event_id: _Optional[str] = ...) -> None: ...

class RecordUsageBatchRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[UsageEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[UsageEvent, _Mapping]]] = ...) -> None: ...

class RecordUsageBatchResponse(_message.Message):
    __slots__ = ("accepted", "duplicates")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("pending_events", "dead_letter_records", "billed_records", "rolled_forward_events", "oldest_pending_event", "pending_records", "sealed_through", "last_shipment", "shipping_error", "open_dead_letter_records", "skipped_records")
    PENDING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_RECORDS_FIELD_NUMBER: _ClassVar[int]
    BILLED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    ROLLED_FORWARD_EVENTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_EVENT_FIELD_NUMBER: _ClassVar[int]
    PENDING_RECORDS_FIELD_NUMBER: _ClassVar[int]
    SEALED_THROUGH_FIELD_NUMBER: _ClassVar[int]
    LAST_SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ERROR_FIELD_NUMBER: _ClassVar[int]
    OPEN_DEAD_LETTER_RECORDS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    pending_events: int
    dead_letter_records: int
    billed_records: int
    rolled_forward_events: int
    oldest_pending_event: _timestamp_pb2.Timestamp
    pending_records: int
    sealed_through: _timestamp_pb2.Timestamp
    last_shipment: _timestamp_pb2.Timestamp
    shipping_error: str
    open_dead_letter_records: int
    skipped_records: int
    def __init__(self, pending_events: _Optional[int] = ..., dead_letter_records: _Optional[int] = ..., billed_records: _Optional[int] = ..., rolled_forward_events: _Optional[int] = ..., oldest_pending_event: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_records: _Optional[int] = ..., sealed_through: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_shipment: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shipping_error: _Optional[str] = ..., open_dead_letter_records: _Optional[int] = ..., skipped_records: _Optional[int] = ...) -> None: ...

class FlushRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FlushResponse(_message.Message):
    __slots__ = ("sealed_records", "billed_records", "dead_letter_records", "retry_records")
    SEALED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    BILLED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_RECORDS_FIELD_NUMBER: _ClassVar[int]
    RETRY_RECORDS_FIELD_NUMBER: _ClassVar[int]
    sealed_records: int
    billed_records: int
    dead_letter_records: int
    retry_records: int
    def __init__(self, sealed_records: _Optional[int] = ..., billed_records: _Optional[int] = ..., dead_letter_records: _Optional[int] = ..., retry_records: _Optional[int] = ...) -> None: ...

class MeteringRecord(_message.Message):
    __slots__ = ("id", "state", "product_code", "license_arn", "customer_aws_account_id", "customer_identifier", "dimension", "quantity", "timestamp", "window_start", "metering_record_id", "reason", "message", "attempts", "request_json", "sealed_at", "finished_at", "event_count", "discard_reason", "marketplace", "azure_resource_id", "quantity_decimal")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    METERING_RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_JSON_FIELD_NUMBER: _ClassVar[int]
    SEALED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISCARD_REASON_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    AZURE_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DECIMAL_FIELD_NUMBER: _ClassVar[int]
    id: int
    state: str
    product_code: str
    license_arn: str
    customer_aws_account_id: str
    customer_identifier: str
    dimension: str
    quantity: int
    timestamp: _timestamp_pb2.Timestamp
    window_start: _timestamp_pb2.Timestamp
    metering_record_id: str
    reason: str
    message: str
    attempts: int
    request_json: str
    sealed_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    event_count: int
    discard_reason: str
    marketplace: str
    azure_resource_id: str
    quantity_decimal: str
    def __init__(self, id: _Optional[int] = ..., state: _Optional[str] = ..., product_code: _Optional[str] = ..., license_arn: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., customer_identifier: _Optional[str] = ..., dimension: _Optional[str] = ..., quantity: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metering_record_id: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., attempts: _Optional[int] = ..., request_json: _Optional[str] = ..., sealed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_count: _Optional[int] = ..., discard_reason: _Optional[str] = ..., marketplace: _Optional[str] = ..., azure_resource_id: _Optional[str] = ..., quantity_decimal: _Optional[str] = ...) -> None: ...

class ListRecordsRequest(_message.Message):
    __slots__ = ("since", "state", "page_size", "page_token")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    state: str
    page_size: int
    page_token: str
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[MeteringRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[MeteringRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("include_discarded", "page_size", "page_token")
    INCLUDE_DISCARDED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    include_discarded: bool
    page_size: int
    page_token: str
    def __init__(self, include_discarded: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[MeteringRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[MeteringRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DiscardDeadLetterRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: int
    reason: str
    def __init__(self, id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class DiscardDeadLetterResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: MeteringRecord
    def __init__(self, record: _Optional[_Union[MeteringRecord, _Mapping]] = ...) -> None: ...

class RetryDeadLetterRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class RetryDeadLetterResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: MeteringRecord
    def __init__(self, record: _Optional[_Union[MeteringRecord, _Mapping]] = ...) -> None: ...

class ResolveCustomerRequest(_message.Message):
    __slots__ = ("registration_token", "tenant_id")
    REGISTRATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    registration_token: str
    tenant_id: str
    def __init__(self, registration_token: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class ResolveCustomerResponse(_message.Message):
    __slots__ = ("customer_identifier", "customer_aws_account_id", "product_code", "license_arn", "new_customer", "tenant_id")
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    customer_identifier: str
    customer_aws_account_id: str
    product_code: str
    license_arn: str
    new_customer: bool
    tenant_id: str
    def __init__(self, customer_identifier: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., product_code: _Optional[str] = ..., license_arn: _Optional[str] = ..., new_customer: _Optional[bool] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("customer_identifier", "customer_aws_account_id", "product_code", "license_arn", "tenant_id", "first_resolved_at", "last_resolved_at")
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    customer_identifier: str
    customer_aws_account_id: str
    product_code: str
    license_arn: str
    tenant_id: str
    first_resolved_at: _timestamp_pb2.Timestamp
    last_resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, customer_identifier: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., product_code: _Optional[str] = ..., license_arn: _Optional[str] = ..., tenant_id: _Optional[str] = ..., first_resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCustomersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCustomersResponse(_message.Message):
    __slots__ = ("customers", "next_page_token")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[Customer]
    next_page_token: str
    def __init__(self, customers: _Optional[_Iterable[_Union[Customer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Entitlement(_message.Message):
    __slots__ = ("product_code", "dimension", "customer_aws_account_id", "customer_identifier", "license_arn", "expiration_date", "integer_value", "double_value", "boolean_value", "string_value")
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    INTEGER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    product_code: str
    dimension: str
    customer_aws_account_id: str
    customer_identifier: str
    license_arn: str
    expiration_date: _timestamp_pb2.Timestamp
    integer_value: int
    double_value: float
    boolean_value: bool
    string_value: str
    def __init__(self, product_code: _Optional[str] = ..., dimension: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., customer_identifier: _Optional[str] = ..., license_arn: _Optional[str] = ..., expiration_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., integer_value: _Optional[int] = ..., double_value: _Optional[float] = ..., boolean_value: _Optional[bool] = ..., string_value: _Optional[str] = ...) -> None: ...

class GetEntitlementsRequest(_message.Message):
    __slots__ = ("product_code", "customer_aws_account_id", "customer_identifier", "license_arn", "dimension")
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    product_code: str
    customer_aws_account_id: str
    customer_identifier: str
    license_arn: str
    dimension: str
    def __init__(self, product_code: _Optional[str] = ..., customer_aws_account_id: _Optional[str] = ..., customer_identifier: _Optional[str] = ..., license_arn: _Optional[str] = ..., dimension: _Optional[str] = ...) -> None: ...

class GetEntitlementsResponse(_message.Message):
    __slots__ = ("entitlements", "stale", "fetched_at")
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    entitlements: _containers.RepeatedCompositeFieldContainer[Entitlement]
    stale: bool
    fetched_at: _timestamp_pb2.Timestamp
    def __init__(self, entitlements: _Optional[_Iterable[_Union[Entitlement, _Mapping]]] = ..., stale: _Optional[bool] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckEntitlementRequest(_message.Message):
    __slots__ = ("customer_aws_account_id", "customer_identifier", "license_arn", "dimension", "product_code")
    CUSTOMER_AWS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ARN_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    customer_aws_account_id: str
    customer_identifier: str
    license_arn: str
    dimension: str
    product_code: str
    def __init__(self, customer_aws_account_id: _Optional[str] = ..., customer_identifier: _Optional[str] = ..., license_arn: _Optional[str] = ..., dimension: _Optional[str] = ..., product_code: _Optional[str] = ...) -> None: ...

class CheckEntitlementResponse(_message.Message):
    __slots__ = ("entitled", "entitlement", "stale")
    ENTITLED_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENT_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    entitled: bool
    entitlement: Entitlement
    stale: bool
    def __init__(self, entitled: _Optional[bool] = ..., entitlement: _Optional[_Union[Entitlement, _Mapping]] = ..., stale: _Optional[bool] = ...) -> None: ...

class ResolveAzureSubscriptionRequest(_message.Message):
    __slots__ = ("marketplace_token", "tenant_id")
    MARKETPLACE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    marketplace_token: str
    tenant_id: str
    def __init__(self, marketplace_token: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class AzureSubscription(_message.Message):
    __slots__ = ("subscription_id", "offer_id", "plan_id", "quantity", "status", "name", "purchaser_tenant_id", "beneficiary_tenant_id", "tenant_id")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURCHASER_TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BENEFICIARY_TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    offer_id: str
    plan_id: str
    quantity: int
    status: str
    name: str
    purchaser_tenant_id: str
    beneficiary_tenant_id: str
    tenant_id: str
    def __init__(self, subscription_id: _Optional[str] = ..., offer_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., quantity: _Optional[int] = ..., status: _Optional[str] = ..., name: _Optional[str] = ..., purchaser_tenant_id: _Optional[str] = ..., beneficiary_tenant_id: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class ResolveAzureSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "new_subscription")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NEW_SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: AzureSubscription
    new_subscription: bool
    def __init__(self, subscription: _Optional[_Union[AzureSubscription, _Mapping]] = ..., new_subscription: _Optional[bool] = ...) -> None: ...

class ActivateAzureSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id", "plan_id", "quantity")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    plan_id: str
    quantity: int
    def __init__(self, subscription_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class ActivateAzureSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: AzureSubscription
    def __init__(self, subscription: _Optional[_Union[AzureSubscription, _Mapping]] = ...) -> None: ...

class GetAzureSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class GetAzureSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "stale", "fetched_at")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    subscription: AzureSubscription
    stale: bool
    fetched_at: _timestamp_pb2.Timestamp
    def __init__(self, subscription: _Optional[_Union[AzureSubscription, _Mapping]] = ..., stale: _Optional[bool] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
