"""A local stand-in for AWS Marketplace with AWS's rules and fault injection."""

from metering_sidecar.emulator._model import EmulatorSettings, Faults
from metering_sidecar.emulator._rules import MeteringState
from metering_sidecar.emulator._server import EmulatorServer

__all__ = ["EmulatorServer", "EmulatorSettings", "Faults", "MeteringState"]
