"""The ``metering-sidecar`` command. Commands import what they need when they run, so the container's
HEALTHCHECK (``metering-sidecar health``) loads neither the AWS SDK nor the server."""

from metering_sidecar.cli._main import main

__all__ = ["main"]
