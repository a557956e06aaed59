# syntax=docker/dockerfile:1
# metering-sidecar: install the locked dependencies and the package into a virtualenv in one stage, run it
# as a non-root user on a slim base in the next. Multi-arch (linux/amd64, linux/arm64): the base is pinned
# by the digest of its multi-platform index, and requirements.lock holds every wheel's hash for both.
#   docker buildx build --platform linux/amd64,linux/arm64 -t metering-sidecar .
# requirements.lock: uv pip compile pyproject.toml --extra cluster --extra azure --generate-hashes --universal \
#   --python-version 3.11 --no-header -o requirements.lock   (the suite checks it matches pyproject.toml)

FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7 AS build
WORKDIR /src
RUN python -m venv /opt/metering-sidecar
COPY requirements.lock ./
# Binary wheels only, each checked against its hash: the build compiles nothing and fetches nothing else.
RUN /opt/metering-sidecar/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY sidecar ./sidecar
# The cluster extra's driver is already installed from the lock; --no-deps keeps the lock the only source.
RUN /opt/metering-sidecar/bin/pip install --no-cache-dir --no-deps ".[cluster,azure]"

FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="metering-sidecar" \
      org.opencontainers.image.description="Bills usage to AWS Marketplace exactly once: durable gRPC ingest, hourly sealing, BatchMeterUsage." \
      org.opencontainers.image.source="https://github.com/metering-sidecar/metering-sidecar" \
      org.opencontainers.image.url="https://github.com/metering-sidecar/metering-sidecar" \
      org.opencontainers.image.documentation="https://github.com/metering-sidecar/metering-sidecar#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="metering-sidecar contributors" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
RUN useradd --system --uid 10001 --home-dir /var/lib/metering-sidecar --shell /usr/sbin/nologin sidecar \
    && mkdir -p /var/lib/metering-sidecar \
    && chown 10001 /var/lib/metering-sidecar
COPY --from=build /opt/metering-sidecar /opt/metering-sidecar
# The database, its WAL and SQLite's temporary files all live on the volume, so the root
# filesystem can be read-only.
ENV PATH=/opt/metering-sidecar/bin:$PATH \
    METERING_SIDECAR_DB=/var/lib/metering-sidecar/metering.db \
    SQLITE_TMPDIR=/var/lib/metering-sidecar \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/metering-sidecar"]
WORKDIR /var/lib/metering-sidecar
USER 10001
# 50051: gRPC API (loopback by default), 50052: gRPC health, 9464: metrics and HTTP probes.
EXPOSE 50051 50052 9464
# `health` imports neither boto3 nor the server (tests/test_container.py), so this stays cheap.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["metering-sidecar", "health"]
ENTRYPOINT ["metering-sidecar"]
CMD ["serve"]
