# syntax=docker/dockerfile:1
# metering-sidecar: build a wheel in one stage, run it as a non-root user on a slim base in the next.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sidecar ./sidecar
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/metering-sidecar --shell /usr/sbin/nologin sidecar \
    && mkdir -p /var/lib/metering-sidecar \
    && chown 10001 /var/lib/metering-sidecar
COPY --from=build /install /usr/local
# The database, its WAL and SQLite's temporary files all live on the volume, so the root
# filesystem can be read-only.
ENV METERING_SIDECAR_DB=/var/lib/metering-sidecar/metering.db \
    SQLITE_TMPDIR=/var/lib/metering-sidecar \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/metering-sidecar"]
WORKDIR /var/lib/metering-sidecar
USER 10001
# 50051: gRPC API (loopback by default), 50052: gRPC health, 9464: metrics and HTTP probes.
EXPOSE 50051 50052 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["metering-sidecar", "health"]
ENTRYPOINT ["metering-sidecar"]
CMD ["serve"]
