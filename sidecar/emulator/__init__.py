"""A local stand-in for AWS Marketplace with AWS's rules and fault injection."""

from sidecar.emulator._model import EmulatorSettings, Faults
from sidecar.emulator._rules import MeteringState
from sidecar.emulator._server import EmulatorServer

__all__ = ["EmulatorServer", "EmulatorSettings", "Faults", "MeteringState"]
