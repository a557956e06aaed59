package meteringsidecar.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class MeteringSidecarGrpc {

  private MeteringSidecarGrpc() {}

  public static final java.lang.String SERVICE_NAME = "meteringsidecar.v1.MeteringSidecar";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageRequest,
      meteringsidecar.v1.Sidecar.RecordUsageResponse> getRecordUsageMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RecordUsage",
      requestType = meteringsidecar.v1.Sidecar.RecordUsageRequest.class,
      responseType = meteringsidecar.v1.Sidecar.RecordUsageResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageRequest,
      meteringsidecar.v1.Sidecar.RecordUsageResponse> getRecordUsageMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageRequest, meteringsidecar.v1.Sidecar.RecordUsageResponse> getRecordUsageMethod;
    if ((getRecordUsageMethod = MeteringSidecarGrpc.getRecordUsageMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getRecordUsageMethod = MeteringSidecarGrpc.getRecordUsageMethod) == null) {
          MeteringSidecarGrpc.getRecordUsageMethod = getRecordUsageMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.RecordUsageRequest, meteringsidecar.v1.Sidecar.RecordUsageResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RecordUsage"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RecordUsageRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RecordUsageResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("RecordUsage"))
              .build();
        }
      }
    }
    return getRecordUsageMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageBatchRequest,
      meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> getRecordUsageBatchMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RecordUsageBatch",
      requestType = meteringsidecar.v1.Sidecar.RecordUsageBatchRequest.class,
      responseType = meteringsidecar.v1.Sidecar.RecordUsageBatchResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageBatchRequest,
      meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> getRecordUsageBatchMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RecordUsageBatchRequest, meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> getRecordUsageBatchMethod;
    if ((getRecordUsageBatchMethod = MeteringSidecarGrpc.getRecordUsageBatchMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getRecordUsageBatchMethod = MeteringSidecarGrpc.getRecordUsageBatchMethod) == null) {
          MeteringSidecarGrpc.getRecordUsageBatchMethod = getRecordUsageBatchMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.RecordUsageBatchRequest, meteringsidecar.v1.Sidecar.RecordUsageBatchResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RecordUsageBatch"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RecordUsageBatchRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RecordUsageBatchResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("RecordUsageBatch"))
              .build();
        }
      }
    }
    return getRecordUsageBatchMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetStatusRequest,
      meteringsidecar.v1.Sidecar.GetStatusResponse> getGetStatusMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetStatus",
      requestType = meteringsidecar.v1.Sidecar.GetStatusRequest.class,
      responseType = meteringsidecar.v1.Sidecar.GetStatusResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetStatusRequest,
      meteringsidecar.v1.Sidecar.GetStatusResponse> getGetStatusMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetStatusRequest, meteringsidecar.v1.Sidecar.GetStatusResponse> getGetStatusMethod;
    if ((getGetStatusMethod = MeteringSidecarGrpc.getGetStatusMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getGetStatusMethod = MeteringSidecarGrpc.getGetStatusMethod) == null) {
          MeteringSidecarGrpc.getGetStatusMethod = getGetStatusMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.GetStatusRequest, meteringsidecar.v1.Sidecar.GetStatusResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetStatus"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetStatusRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetStatusResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("GetStatus"))
              .build();
        }
      }
    }
    return getGetStatusMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.FlushRequest,
      meteringsidecar.v1.Sidecar.FlushResponse> getFlushMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Flush",
      requestType = meteringsidecar.v1.Sidecar.FlushRequest.class,
      responseType = meteringsidecar.v1.Sidecar.FlushResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.FlushRequest,
      meteringsidecar.v1.Sidecar.FlushResponse> getFlushMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.FlushRequest, meteringsidecar.v1.Sidecar.FlushResponse> getFlushMethod;
    if ((getFlushMethod = MeteringSidecarGrpc.getFlushMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getFlushMethod = MeteringSidecarGrpc.getFlushMethod) == null) {
          MeteringSidecarGrpc.getFlushMethod = getFlushMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.FlushRequest, meteringsidecar.v1.Sidecar.FlushResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Flush"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.FlushRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.FlushResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("Flush"))
              .build();
        }
      }
    }
    return getFlushMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListRecordsRequest,
      meteringsidecar.v1.Sidecar.ListRecordsResponse> getListRecordsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListRecords",
      requestType = meteringsidecar.v1.Sidecar.ListRecordsRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ListRecordsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListRecordsRequest,
      meteringsidecar.v1.Sidecar.ListRecordsResponse> getListRecordsMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListRecordsRequest, meteringsidecar.v1.Sidecar.ListRecordsResponse> getListRecordsMethod;
    if ((getListRecordsMethod = MeteringSidecarGrpc.getListRecordsMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getListRecordsMethod = MeteringSidecarGrpc.getListRecordsMethod) == null) {
          MeteringSidecarGrpc.getListRecordsMethod = getListRecordsMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ListRecordsRequest, meteringsidecar.v1.Sidecar.ListRecordsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListRecords"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListRecordsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListRecordsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ListRecords"))
              .build();
        }
      }
    }
    return getListRecordsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListDeadLettersRequest,
      meteringsidecar.v1.Sidecar.ListDeadLettersResponse> getListDeadLettersMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListDeadLetters",
      requestType = meteringsidecar.v1.Sidecar.ListDeadLettersRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ListDeadLettersResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListDeadLettersRequest,
      meteringsidecar.v1.Sidecar.ListDeadLettersResponse> getListDeadLettersMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListDeadLettersRequest, meteringsidecar.v1.Sidecar.ListDeadLettersResponse> getListDeadLettersMethod;
    if ((getListDeadLettersMethod = MeteringSidecarGrpc.getListDeadLettersMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getListDeadLettersMethod = MeteringSidecarGrpc.getListDeadLettersMethod) == null) {
          MeteringSidecarGrpc.getListDeadLettersMethod = getListDeadLettersMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ListDeadLettersRequest, meteringsidecar.v1.Sidecar.ListDeadLettersResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListDeadLetters"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListDeadLettersRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListDeadLettersResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ListDeadLetters"))
              .build();
        }
      }
    }
    return getListDeadLettersMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest,
      meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> getDiscardDeadLetterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DiscardDeadLetter",
      requestType = meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest.class,
      responseType = meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest,
      meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> getDiscardDeadLetterMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest, meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> getDiscardDeadLetterMethod;
    if ((getDiscardDeadLetterMethod = MeteringSidecarGrpc.getDiscardDeadLetterMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getDiscardDeadLetterMethod = MeteringSidecarGrpc.getDiscardDeadLetterMethod) == null) {
          MeteringSidecarGrpc.getDiscardDeadLetterMethod = getDiscardDeadLetterMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest, meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DiscardDeadLetter"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("DiscardDeadLetter"))
              .build();
        }
      }
    }
    return getDiscardDeadLetterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RetryDeadLetterRequest,
      meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> getRetryDeadLetterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RetryDeadLetter",
      requestType = meteringsidecar.v1.Sidecar.RetryDeadLetterRequest.class,
      responseType = meteringsidecar.v1.Sidecar.RetryDeadLetterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RetryDeadLetterRequest,
      meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> getRetryDeadLetterMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.RetryDeadLetterRequest, meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> getRetryDeadLetterMethod;
    if ((getRetryDeadLetterMethod = MeteringSidecarGrpc.getRetryDeadLetterMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getRetryDeadLetterMethod = MeteringSidecarGrpc.getRetryDeadLetterMethod) == null) {
          MeteringSidecarGrpc.getRetryDeadLetterMethod = getRetryDeadLetterMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.RetryDeadLetterRequest, meteringsidecar.v1.Sidecar.RetryDeadLetterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RetryDeadLetter"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RetryDeadLetterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.RetryDeadLetterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("RetryDeadLetter"))
              .build();
        }
      }
    }
    return getRetryDeadLetterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveCustomerRequest,
      meteringsidecar.v1.Sidecar.ResolveCustomerResponse> getResolveCustomerMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResolveCustomer",
      requestType = meteringsidecar.v1.Sidecar.ResolveCustomerRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ResolveCustomerResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveCustomerRequest,
      meteringsidecar.v1.Sidecar.ResolveCustomerResponse> getResolveCustomerMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveCustomerRequest, meteringsidecar.v1.Sidecar.ResolveCustomerResponse> getResolveCustomerMethod;
    if ((getResolveCustomerMethod = MeteringSidecarGrpc.getResolveCustomerMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getResolveCustomerMethod = MeteringSidecarGrpc.getResolveCustomerMethod) == null) {
          MeteringSidecarGrpc.getResolveCustomerMethod = getResolveCustomerMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ResolveCustomerRequest, meteringsidecar.v1.Sidecar.ResolveCustomerResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResolveCustomer"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ResolveCustomerRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ResolveCustomerResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ResolveCustomer"))
              .build();
        }
      }
    }
    return getResolveCustomerMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListCustomersRequest,
      meteringsidecar.v1.Sidecar.ListCustomersResponse> getListCustomersMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListCustomers",
      requestType = meteringsidecar.v1.Sidecar.ListCustomersRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ListCustomersResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListCustomersRequest,
      meteringsidecar.v1.Sidecar.ListCustomersResponse> getListCustomersMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ListCustomersRequest, meteringsidecar.v1.Sidecar.ListCustomersResponse> getListCustomersMethod;
    if ((getListCustomersMethod = MeteringSidecarGrpc.getListCustomersMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getListCustomersMethod = MeteringSidecarGrpc.getListCustomersMethod) == null) {
          MeteringSidecarGrpc.getListCustomersMethod = getListCustomersMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ListCustomersRequest, meteringsidecar.v1.Sidecar.ListCustomersResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListCustomers"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListCustomersRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ListCustomersResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ListCustomers"))
              .build();
        }
      }
    }
    return getListCustomersMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetEntitlementsRequest,
      meteringsidecar.v1.Sidecar.GetEntitlementsResponse> getGetEntitlementsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetEntitlements",
      requestType = meteringsidecar.v1.Sidecar.GetEntitlementsRequest.class,
      responseType = meteringsidecar.v1.Sidecar.GetEntitlementsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetEntitlementsRequest,
      meteringsidecar.v1.Sidecar.GetEntitlementsResponse> getGetEntitlementsMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetEntitlementsRequest, meteringsidecar.v1.Sidecar.GetEntitlementsResponse> getGetEntitlementsMethod;
    if ((getGetEntitlementsMethod = MeteringSidecarGrpc.getGetEntitlementsMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getGetEntitlementsMethod = MeteringSidecarGrpc.getGetEntitlementsMethod) == null) {
          MeteringSidecarGrpc.getGetEntitlementsMethod = getGetEntitlementsMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.GetEntitlementsRequest, meteringsidecar.v1.Sidecar.GetEntitlementsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetEntitlements"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetEntitlementsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetEntitlementsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("GetEntitlements"))
              .build();
        }
      }
    }
    return getGetEntitlementsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.CheckEntitlementRequest,
      meteringsidecar.v1.Sidecar.CheckEntitlementResponse> getCheckEntitlementMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckEntitlement",
      requestType = meteringsidecar.v1.Sidecar.CheckEntitlementRequest.class,
      responseType = meteringsidecar.v1.Sidecar.CheckEntitlementResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.CheckEntitlementRequest,
      meteringsidecar.v1.Sidecar.CheckEntitlementResponse> getCheckEntitlementMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.CheckEntitlementRequest, meteringsidecar.v1.Sidecar.CheckEntitlementResponse> getCheckEntitlementMethod;
    if ((getCheckEntitlementMethod = MeteringSidecarGrpc.getCheckEntitlementMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getCheckEntitlementMethod = MeteringSidecarGrpc.getCheckEntitlementMethod) == null) {
          MeteringSidecarGrpc.getCheckEntitlementMethod = getCheckEntitlementMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.CheckEntitlementRequest, meteringsidecar.v1.Sidecar.CheckEntitlementResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckEntitlement"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.CheckEntitlementRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.CheckEntitlementResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("CheckEntitlement"))
              .build();
        }
      }
    }
    return getCheckEntitlementMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> getResolveAzureSubscriptionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResolveAzureSubscription",
      requestType = meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> getResolveAzureSubscriptionMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> getResolveAzureSubscriptionMethod;
    if ((getResolveAzureSubscriptionMethod = MeteringSidecarGrpc.getResolveAzureSubscriptionMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getResolveAzureSubscriptionMethod = MeteringSidecarGrpc.getResolveAzureSubscriptionMethod) == null) {
          MeteringSidecarGrpc.getResolveAzureSubscriptionMethod = getResolveAzureSubscriptionMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResolveAzureSubscription"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ResolveAzureSubscription"))
              .build();
        }
      }
    }
    return getResolveAzureSubscriptionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> getActivateAzureSubscriptionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ActivateAzureSubscription",
      requestType = meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest.class,
      responseType = meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> getActivateAzureSubscriptionMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> getActivateAzureSubscriptionMethod;
    if ((getActivateAzureSubscriptionMethod = MeteringSidecarGrpc.getActivateAzureSubscriptionMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getActivateAzureSubscriptionMethod = MeteringSidecarGrpc.getActivateAzureSubscriptionMethod) == null) {
          MeteringSidecarGrpc.getActivateAzureSubscriptionMethod = getActivateAzureSubscriptionMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ActivateAzureSubscription"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("ActivateAzureSubscription"))
              .build();
        }
      }
    }
    return getActivateAzureSubscriptionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> getGetAzureSubscriptionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetAzureSubscription",
      requestType = meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest.class,
      responseType = meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest,
      meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> getGetAzureSubscriptionMethod() {
    io.grpc.MethodDescriptor<meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> getGetAzureSubscriptionMethod;
    if ((getGetAzureSubscriptionMethod = MeteringSidecarGrpc.getGetAzureSubscriptionMethod) == null) {
      synchronized (MeteringSidecarGrpc.class) {
        if ((getGetAzureSubscriptionMethod = MeteringSidecarGrpc.getGetAzureSubscriptionMethod) == null) {
          MeteringSidecarGrpc.getGetAzureSubscriptionMethod = getGetAzureSubscriptionMethod =
              io.grpc.MethodDescriptor.<meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest, meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetAzureSubscription"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MeteringSidecarMethodDescriptorSupplier("GetAzureSubscription"))
              .build();
        }
      }
    }
    return getGetAzureSubscriptionMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static MeteringSidecarStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarStub>() {
        @java.lang.Override
        public MeteringSidecarStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MeteringSidecarStub(channel, callOptions);
        }
      };
    return MeteringSidecarStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static MeteringSidecarBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarBlockingV2Stub>() {
        @java.lang.Override
        public MeteringSidecarBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MeteringSidecarBlockingV2Stub(channel, callOptions);
        }
      };
    return MeteringSidecarBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static MeteringSidecarBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarBlockingStub>() {
        @java.lang.Override
        public MeteringSidecarBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MeteringSidecarBlockingStub(channel, callOptions);
        }
      };
    return MeteringSidecarBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static MeteringSidecarFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MeteringSidecarFutureStub>() {
        @java.lang.Override
        public MeteringSidecarFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MeteringSidecarFutureStub(channel, callOptions);
        }
      };
    return MeteringSidecarFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * RecordUsage makes one usage event durable; OK means it is committed to disk.
     * </pre>
     */
    default void recordUsage(meteringsidecar.v1.Sidecar.RecordUsageRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRecordUsageMethod(), responseObserver);
    }

    /**
     * <pre>
     * RecordUsageBatch makes up to 1000 events durable, all or nothing.
     * </pre>
     */
    default void recordUsageBatch(meteringsidecar.v1.Sidecar.RecordUsageBatchRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRecordUsageBatchMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetStatus reports what is buffered, billed and dead-lettered.
     * </pre>
     */
    default void getStatus(meteringsidecar.v1.Sidecar.GetStatusRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetStatusResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetStatusMethod(), responseObserver);
    }

    /**
     * <pre>
     * Flush seals every closed window and makes one shipping attempt now for every pending record, including
     * those waiting out a backoff (a marketplace paused after refusing calls stays paused).
     * </pre>
     */
    default void flush(meteringsidecar.v1.Sidecar.FlushRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.FlushResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFlushMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListRecords pages through sealed records, for reconciliation with AWS's reports.
     * </pre>
     */
    default void listRecords(meteringsidecar.v1.Sidecar.ListRecordsRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListRecordsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListRecordsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListDeadLetters pages through records AWS refused or that expired.
     * </pre>
     */
    default void listDeadLetters(meteringsidecar.v1.Sidecar.ListDeadLettersRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListDeadLettersResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListDeadLettersMethod(), responseObserver);
    }

    /**
     * <pre>
     * DiscardDeadLetter closes a dead letter; the operator's reason is kept.
     * </pre>
     */
    default void discardDeadLetter(meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDiscardDeadLetterMethod(), responseObserver);
    }

    /**
     * <pre>
     * RetryDeadLetter sends a dead letter again, only while AWS would still accept its timestamp.
     * </pre>
     */
    default void retryDeadLetter(meteringsidecar.v1.Sidecar.RetryDeadLetterRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRetryDeadLetterMethod(), responseObserver);
    }

    /**
     * <pre>
     * ResolveCustomer turns a buyer's registration token into a stored, tenant-bound customer.
     * </pre>
     */
    default void resolveCustomer(meteringsidecar.v1.Sidecar.ResolveCustomerRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveCustomerResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResolveCustomerMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListCustomers pages through the customers this sidecar resolved.
     * </pre>
     */
    default void listCustomers(meteringsidecar.v1.Sidecar.ListCustomersRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListCustomersResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListCustomersMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetEntitlements returns what customers bought, cached, following every page.
     * </pre>
     */
    default void getEntitlements(meteringsidecar.v1.Sidecar.GetEntitlementsRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetEntitlementsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetEntitlementsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CheckEntitlement answers whether one customer is entitled (to one dimension).
     * </pre>
     */
    default void checkEntitlement(meteringsidecar.v1.Sidecar.CheckEntitlementRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.CheckEntitlementResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckEntitlementMethod(), responseObserver);
    }

    /**
     * <pre>
     * ResolveAzureSubscription turns the landing page's marketplace token into a stored, tenant-bound
     * Azure SaaS subscription.
     * </pre>
     */
    default void resolveAzureSubscription(meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResolveAzureSubscriptionMethod(), responseObserver);
    }

    /**
     * <pre>
     * ActivateAzureSubscription tells Azure the subscription is set up, so billing of its base fee starts.
     * </pre>
     */
    default void activateAzureSubscription(meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getActivateAzureSubscriptionMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetAzureSubscription returns a subscription's current state (plan, status), cached.
     * </pre>
     */
    default void getAzureSubscription(meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetAzureSubscriptionMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service MeteringSidecar.
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public static abstract class MeteringSidecarImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return MeteringSidecarGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service MeteringSidecar.
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public static final class MeteringSidecarStub
      extends io.grpc.stub.AbstractAsyncStub<MeteringSidecarStub> {
    private MeteringSidecarStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MeteringSidecarStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MeteringSidecarStub(channel, callOptions);
    }

    /**
     * <pre>
     * RecordUsage makes one usage event durable; OK means it is committed to disk.
     * </pre>
     */
    public void recordUsage(meteringsidecar.v1.Sidecar.RecordUsageRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRecordUsageMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * RecordUsageBatch makes up to 1000 events durable, all or nothing.
     * </pre>
     */
    public void recordUsageBatch(meteringsidecar.v1.Sidecar.RecordUsageBatchRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRecordUsageBatchMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetStatus reports what is buffered, billed and dead-lettered.
     * </pre>
     */
    public void getStatus(meteringsidecar.v1.Sidecar.GetStatusRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetStatusResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetStatusMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Flush seals every closed window and makes one shipping attempt now for every pending record, including
     * those waiting out a backoff (a marketplace paused after refusing calls stays paused).
     * </pre>
     */
    public void flush(meteringsidecar.v1.Sidecar.FlushRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.FlushResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFlushMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListRecords pages through sealed records, for reconciliation with AWS's reports.
     * </pre>
     */
    public void listRecords(meteringsidecar.v1.Sidecar.ListRecordsRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListRecordsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListRecordsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListDeadLetters pages through records AWS refused or that expired.
     * </pre>
     */
    public void listDeadLetters(meteringsidecar.v1.Sidecar.ListDeadLettersRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListDeadLettersResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListDeadLettersMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DiscardDeadLetter closes a dead letter; the operator's reason is kept.
     * </pre>
     */
    public void discardDeadLetter(meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDiscardDeadLetterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * RetryDeadLetter sends a dead letter again, only while AWS would still accept its timestamp.
     * </pre>
     */
    public void retryDeadLetter(meteringsidecar.v1.Sidecar.RetryDeadLetterRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRetryDeadLetterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ResolveCustomer turns a buyer's registration token into a stored, tenant-bound customer.
     * </pre>
     */
    public void resolveCustomer(meteringsidecar.v1.Sidecar.ResolveCustomerRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveCustomerResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResolveCustomerMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListCustomers pages through the customers this sidecar resolved.
     * </pre>
     */
    public void listCustomers(meteringsidecar.v1.Sidecar.ListCustomersRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListCustomersResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListCustomersMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetEntitlements returns what customers bought, cached, following every page.
     * </pre>
     */
    public void getEntitlements(meteringsidecar.v1.Sidecar.GetEntitlementsRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetEntitlementsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetEntitlementsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CheckEntitlement answers whether one customer is entitled (to one dimension).
     * </pre>
     */
    public void checkEntitlement(meteringsidecar.v1.Sidecar.CheckEntitlementRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.CheckEntitlementResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCheckEntitlementMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ResolveAzureSubscription turns the landing page's marketplace token into a stored, tenant-bound
     * Azure SaaS subscription.
     * </pre>
     */
    public void resolveAzureSubscription(meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResolveAzureSubscriptionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ActivateAzureSubscription tells Azure the subscription is set up, so billing of its base fee starts.
     * </pre>
     */
    public void activateAzureSubscription(meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getActivateAzureSubscriptionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetAzureSubscription returns a subscription's current state (plan, status), cached.
     * </pre>
     */
    public void getAzureSubscription(meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest request,
        io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetAzureSubscriptionMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service MeteringSidecar.
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public static final class MeteringSidecarBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<MeteringSidecarBlockingV2Stub> {
    private MeteringSidecarBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MeteringSidecarBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MeteringSidecarBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * RecordUsage makes one usage event durable; OK means it is committed to disk.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RecordUsageResponse recordUsage(meteringsidecar.v1.Sidecar.RecordUsageRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRecordUsageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RecordUsageBatch makes up to 1000 events durable, all or nothing.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RecordUsageBatchResponse recordUsageBatch(meteringsidecar.v1.Sidecar.RecordUsageBatchRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRecordUsageBatchMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetStatus reports what is buffered, billed and dead-lettered.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetStatusResponse getStatus(meteringsidecar.v1.Sidecar.GetStatusRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Flush seals every closed window and makes one shipping attempt now for every pending record, including
     * those waiting out a backoff (a marketplace paused after refusing calls stays paused).
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.FlushResponse flush(meteringsidecar.v1.Sidecar.FlushRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFlushMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListRecords pages through sealed records, for reconciliation with AWS's reports.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListRecordsResponse listRecords(meteringsidecar.v1.Sidecar.ListRecordsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListRecordsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListDeadLetters pages through records AWS refused or that expired.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListDeadLettersResponse listDeadLetters(meteringsidecar.v1.Sidecar.ListDeadLettersRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListDeadLettersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DiscardDeadLetter closes a dead letter; the operator's reason is kept.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse discardDeadLetter(meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDiscardDeadLetterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RetryDeadLetter sends a dead letter again, only while AWS would still accept its timestamp.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RetryDeadLetterResponse retryDeadLetter(meteringsidecar.v1.Sidecar.RetryDeadLetterRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRetryDeadLetterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResolveCustomer turns a buyer's registration token into a stored, tenant-bound customer.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ResolveCustomerResponse resolveCustomer(meteringsidecar.v1.Sidecar.ResolveCustomerRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResolveCustomerMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListCustomers pages through the customers this sidecar resolved.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListCustomersResponse listCustomers(meteringsidecar.v1.Sidecar.ListCustomersRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListCustomersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetEntitlements returns what customers bought, cached, following every page.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetEntitlementsResponse getEntitlements(meteringsidecar.v1.Sidecar.GetEntitlementsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetEntitlementsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CheckEntitlement answers whether one customer is entitled (to one dimension).
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.CheckEntitlementResponse checkEntitlement(meteringsidecar.v1.Sidecar.CheckEntitlementRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCheckEntitlementMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResolveAzureSubscription turns the landing page's marketplace token into a stored, tenant-bound
     * Azure SaaS subscription.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse resolveAzureSubscription(meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResolveAzureSubscriptionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ActivateAzureSubscription tells Azure the subscription is set up, so billing of its base fee starts.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse activateAzureSubscription(meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getActivateAzureSubscriptionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetAzureSubscription returns a subscription's current state (plan, status), cached.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse getAzureSubscription(meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetAzureSubscriptionMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service MeteringSidecar.
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public static final class MeteringSidecarBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<MeteringSidecarBlockingStub> {
    private MeteringSidecarBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MeteringSidecarBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MeteringSidecarBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * RecordUsage makes one usage event durable; OK means it is committed to disk.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RecordUsageResponse recordUsage(meteringsidecar.v1.Sidecar.RecordUsageRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRecordUsageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RecordUsageBatch makes up to 1000 events durable, all or nothing.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RecordUsageBatchResponse recordUsageBatch(meteringsidecar.v1.Sidecar.RecordUsageBatchRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRecordUsageBatchMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetStatus reports what is buffered, billed and dead-lettered.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetStatusResponse getStatus(meteringsidecar.v1.Sidecar.GetStatusRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Flush seals every closed window and makes one shipping attempt now for every pending record, including
     * those waiting out a backoff (a marketplace paused after refusing calls stays paused).
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.FlushResponse flush(meteringsidecar.v1.Sidecar.FlushRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFlushMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListRecords pages through sealed records, for reconciliation with AWS's reports.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListRecordsResponse listRecords(meteringsidecar.v1.Sidecar.ListRecordsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListRecordsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListDeadLetters pages through records AWS refused or that expired.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListDeadLettersResponse listDeadLetters(meteringsidecar.v1.Sidecar.ListDeadLettersRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListDeadLettersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DiscardDeadLetter closes a dead letter; the operator's reason is kept.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse discardDeadLetter(meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDiscardDeadLetterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RetryDeadLetter sends a dead letter again, only while AWS would still accept its timestamp.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.RetryDeadLetterResponse retryDeadLetter(meteringsidecar.v1.Sidecar.RetryDeadLetterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRetryDeadLetterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResolveCustomer turns a buyer's registration token into a stored, tenant-bound customer.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ResolveCustomerResponse resolveCustomer(meteringsidecar.v1.Sidecar.ResolveCustomerRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResolveCustomerMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListCustomers pages through the customers this sidecar resolved.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ListCustomersResponse listCustomers(meteringsidecar.v1.Sidecar.ListCustomersRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListCustomersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetEntitlements returns what customers bought, cached, following every page.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetEntitlementsResponse getEntitlements(meteringsidecar.v1.Sidecar.GetEntitlementsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetEntitlementsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CheckEntitlement answers whether one customer is entitled (to one dimension).
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.CheckEntitlementResponse checkEntitlement(meteringsidecar.v1.Sidecar.CheckEntitlementRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCheckEntitlementMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResolveAzureSubscription turns the landing page's marketplace token into a stored, tenant-bound
     * Azure SaaS subscription.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse resolveAzureSubscription(meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResolveAzureSubscriptionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ActivateAzureSubscription tells Azure the subscription is set up, so billing of its base fee starts.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse activateAzureSubscription(meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getActivateAzureSubscriptionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetAzureSubscription returns a subscription's current state (plan, status), cached.
     * </pre>
     */
    public meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse getAzureSubscription(meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetAzureSubscriptionMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service MeteringSidecar.
   * <pre>
   * MeteringSidecar records usage and bills it to AWS Marketplace exactly once.
   * </pre>
   */
  public static final class MeteringSidecarFutureStub
      extends io.grpc.stub.AbstractFutureStub<MeteringSidecarFutureStub> {
    private MeteringSidecarFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MeteringSidecarFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MeteringSidecarFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * RecordUsage makes one usage event durable; OK means it is committed to disk.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.RecordUsageResponse> recordUsage(
        meteringsidecar.v1.Sidecar.RecordUsageRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRecordUsageMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * RecordUsageBatch makes up to 1000 events durable, all or nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.RecordUsageBatchResponse> recordUsageBatch(
        meteringsidecar.v1.Sidecar.RecordUsageBatchRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRecordUsageBatchMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetStatus reports what is buffered, billed and dead-lettered.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.GetStatusResponse> getStatus(
        meteringsidecar.v1.Sidecar.GetStatusRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetStatusMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Flush seals every closed window and makes one shipping attempt now for every pending record, including
     * those waiting out a backoff (a marketplace paused after refusing calls stays paused).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.FlushResponse> flush(
        meteringsidecar.v1.Sidecar.FlushRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFlushMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListRecords pages through sealed records, for reconciliation with AWS's reports.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ListRecordsResponse> listRecords(
        meteringsidecar.v1.Sidecar.ListRecordsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListRecordsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListDeadLetters pages through records AWS refused or that expired.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ListDeadLettersResponse> listDeadLetters(
        meteringsidecar.v1.Sidecar.ListDeadLettersRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListDeadLettersMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DiscardDeadLetter closes a dead letter; the operator's reason is kept.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse> discardDeadLetter(
        meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDiscardDeadLetterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * RetryDeadLetter sends a dead letter again, only while AWS would still accept its timestamp.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.RetryDeadLetterResponse> retryDeadLetter(
        meteringsidecar.v1.Sidecar.RetryDeadLetterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRetryDeadLetterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ResolveCustomer turns a buyer's registration token into a stored, tenant-bound customer.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ResolveCustomerResponse> resolveCustomer(
        meteringsidecar.v1.Sidecar.ResolveCustomerRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResolveCustomerMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListCustomers pages through the customers this sidecar resolved.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ListCustomersResponse> listCustomers(
        meteringsidecar.v1.Sidecar.ListCustomersRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListCustomersMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetEntitlements returns what customers bought, cached, following every page.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.GetEntitlementsResponse> getEntitlements(
        meteringsidecar.v1.Sidecar.GetEntitlementsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetEntitlementsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CheckEntitlement answers whether one customer is entitled (to one dimension).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.CheckEntitlementResponse> checkEntitlement(
        meteringsidecar.v1.Sidecar.CheckEntitlementRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckEntitlementMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ResolveAzureSubscription turns the landing page's marketplace token into a stored, tenant-bound
     * Azure SaaS subscription.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse> resolveAzureSubscription(
        meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResolveAzureSubscriptionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ActivateAzureSubscription tells Azure the subscription is set up, so billing of its base fee starts.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse> activateAzureSubscription(
        meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getActivateAzureSubscriptionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetAzureSubscription returns a subscription's current state (plan, status), cached.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse> getAzureSubscription(
        meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetAzureSubscriptionMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_RECORD_USAGE = 0;
  private static final int METHODID_RECORD_USAGE_BATCH = 1;
  private static final int METHODID_GET_STATUS = 2;
  private static final int METHODID_FLUSH = 3;
  private static final int METHODID_LIST_RECORDS = 4;
  private static final int METHODID_LIST_DEAD_LETTERS = 5;
  private static final int METHODID_DISCARD_DEAD_LETTER = 6;
  private static final int METHODID_RETRY_DEAD_LETTER = 7;
  private static final int METHODID_RESOLVE_CUSTOMER = 8;
  private static final int METHODID_LIST_CUSTOMERS = 9;
  private static final int METHODID_GET_ENTITLEMENTS = 10;
  private static final int METHODID_CHECK_ENTITLEMENT = 11;
  private static final int METHODID_RESOLVE_AZURE_SUBSCRIPTION = 12;
  private static final int METHODID_ACTIVATE_AZURE_SUBSCRIPTION = 13;
  private static final int METHODID_GET_AZURE_SUBSCRIPTION = 14;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_RECORD_USAGE:
          serviceImpl.recordUsage((meteringsidecar.v1.Sidecar.RecordUsageRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageResponse>) responseObserver);
          break;
        case METHODID_RECORD_USAGE_BATCH:
          serviceImpl.recordUsageBatch((meteringsidecar.v1.Sidecar.RecordUsageBatchRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RecordUsageBatchResponse>) responseObserver);
          break;
        case METHODID_GET_STATUS:
          serviceImpl.getStatus((meteringsidecar.v1.Sidecar.GetStatusRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetStatusResponse>) responseObserver);
          break;
        case METHODID_FLUSH:
          serviceImpl.flush((meteringsidecar.v1.Sidecar.FlushRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.FlushResponse>) responseObserver);
          break;
        case METHODID_LIST_RECORDS:
          serviceImpl.listRecords((meteringsidecar.v1.Sidecar.ListRecordsRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListRecordsResponse>) responseObserver);
          break;
        case METHODID_LIST_DEAD_LETTERS:
          serviceImpl.listDeadLetters((meteringsidecar.v1.Sidecar.ListDeadLettersRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListDeadLettersResponse>) responseObserver);
          break;
        case METHODID_DISCARD_DEAD_LETTER:
          serviceImpl.discardDeadLetter((meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse>) responseObserver);
          break;
        case METHODID_RETRY_DEAD_LETTER:
          serviceImpl.retryDeadLetter((meteringsidecar.v1.Sidecar.RetryDeadLetterRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.RetryDeadLetterResponse>) responseObserver);
          break;
        case METHODID_RESOLVE_CUSTOMER:
          serviceImpl.resolveCustomer((meteringsidecar.v1.Sidecar.ResolveCustomerRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveCustomerResponse>) responseObserver);
          break;
        case METHODID_LIST_CUSTOMERS:
          serviceImpl.listCustomers((meteringsidecar.v1.Sidecar.ListCustomersRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ListCustomersResponse>) responseObserver);
          break;
        case METHODID_GET_ENTITLEMENTS:
          serviceImpl.getEntitlements((meteringsidecar.v1.Sidecar.GetEntitlementsRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetEntitlementsResponse>) responseObserver);
          break;
        case METHODID_CHECK_ENTITLEMENT:
          serviceImpl.checkEntitlement((meteringsidecar.v1.Sidecar.CheckEntitlementRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.CheckEntitlementResponse>) responseObserver);
          break;
        case METHODID_RESOLVE_AZURE_SUBSCRIPTION:
          serviceImpl.resolveAzureSubscription((meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse>) responseObserver);
          break;
        case METHODID_ACTIVATE_AZURE_SUBSCRIPTION:
          serviceImpl.activateAzureSubscription((meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse>) responseObserver);
          break;
        case METHODID_GET_AZURE_SUBSCRIPTION:
          serviceImpl.getAzureSubscription((meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest) request,
              (io.grpc.stub.StreamObserver<meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getRecordUsageMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.RecordUsageRequest,
              meteringsidecar.v1.Sidecar.RecordUsageResponse>(
                service, METHODID_RECORD_USAGE)))
        .addMethod(
          getRecordUsageBatchMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.RecordUsageBatchRequest,
              meteringsidecar.v1.Sidecar.RecordUsageBatchResponse>(
                service, METHODID_RECORD_USAGE_BATCH)))
        .addMethod(
          getGetStatusMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.GetStatusRequest,
              meteringsidecar.v1.Sidecar.GetStatusResponse>(
                service, METHODID_GET_STATUS)))
        .addMethod(
          getFlushMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.FlushRequest,
              meteringsidecar.v1.Sidecar.FlushResponse>(
                service, METHODID_FLUSH)))
        .addMethod(
          getListRecordsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ListRecordsRequest,
              meteringsidecar.v1.Sidecar.ListRecordsResponse>(
                service, METHODID_LIST_RECORDS)))
        .addMethod(
          getListDeadLettersMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ListDeadLettersRequest,
              meteringsidecar.v1.Sidecar.ListDeadLettersResponse>(
                service, METHODID_LIST_DEAD_LETTERS)))
        .addMethod(
          getDiscardDeadLetterMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.DiscardDeadLetterRequest,
              meteringsidecar.v1.Sidecar.DiscardDeadLetterResponse>(
                service, METHODID_DISCARD_DEAD_LETTER)))
        .addMethod(
          getRetryDeadLetterMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.RetryDeadLetterRequest,
              meteringsidecar.v1.Sidecar.RetryDeadLetterResponse>(
                service, METHODID_RETRY_DEAD_LETTER)))
        .addMethod(
          getResolveCustomerMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ResolveCustomerRequest,
              meteringsidecar.v1.Sidecar.ResolveCustomerResponse>(
                service, METHODID_RESOLVE_CUSTOMER)))
        .addMethod(
          getListCustomersMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ListCustomersRequest,
              meteringsidecar.v1.Sidecar.ListCustomersResponse>(
                service, METHODID_LIST_CUSTOMERS)))
        .addMethod(
          getGetEntitlementsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.GetEntitlementsRequest,
              meteringsidecar.v1.Sidecar.GetEntitlementsResponse>(
                service, METHODID_GET_ENTITLEMENTS)))
        .addMethod(
          getCheckEntitlementMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.CheckEntitlementRequest,
              meteringsidecar.v1.Sidecar.CheckEntitlementResponse>(
                service, METHODID_CHECK_ENTITLEMENT)))
        .addMethod(
          getResolveAzureSubscriptionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionRequest,
              meteringsidecar.v1.Sidecar.ResolveAzureSubscriptionResponse>(
                service, METHODID_RESOLVE_AZURE_SUBSCRIPTION)))
        .addMethod(
          getActivateAzureSubscriptionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionRequest,
              meteringsidecar.v1.Sidecar.ActivateAzureSubscriptionResponse>(
                service, METHODID_ACTIVATE_AZURE_SUBSCRIPTION)))
        .addMethod(
          getGetAzureSubscriptionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              meteringsidecar.v1.Sidecar.GetAzureSubscriptionRequest,
              meteringsidecar.v1.Sidecar.GetAzureSubscriptionResponse>(
                service, METHODID_GET_AZURE_SUBSCRIPTION)))
        .build();
  }

  private static abstract class MeteringSidecarBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    MeteringSidecarBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return meteringsidecar.v1.Sidecar.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("MeteringSidecar");
    }
  }

  private static final class MeteringSidecarFileDescriptorSupplier
      extends MeteringSidecarBaseDescriptorSupplier {
    MeteringSidecarFileDescriptorSupplier() {}
  }

  private static final class MeteringSidecarMethodDescriptorSupplier
      extends MeteringSidecarBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    MeteringSidecarMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (MeteringSidecarGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new MeteringSidecarFileDescriptorSupplier())
              .addMethod(getRecordUsageMethod())
              .addMethod(getRecordUsageBatchMethod())
              .addMethod(getGetStatusMethod())
              .addMethod(getFlushMethod())
              .addMethod(getListRecordsMethod())
              .addMethod(getListDeadLettersMethod())
              .addMethod(getDiscardDeadLetterMethod())
              .addMethod(getRetryDeadLetterMethod())
              .addMethod(getResolveCustomerMethod())
              .addMethod(getListCustomersMethod())
              .addMethod(getGetEntitlementsMethod())
              .addMethod(getCheckEntitlementMethod())
              .addMethod(getResolveAzureSubscriptionMethod())
              .addMethod(getActivateAzureSubscriptionMethod())
              .addMethod(getGetAzureSubscriptionMethod())
              .build();
        }
      }
    }
    return result;
  }
}
