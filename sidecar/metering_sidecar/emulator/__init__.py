"""A local stand-in for AWS Marketplace and Azure Marketplace with their rules and fault injection."""

from metering_sidecar.emulator._azure_model import AzureFaults, AzureSettings
from metering_sidecar.emulator._azure_rules import AzureState
from metering_sidecar.emulator._model import EmulatorSettings, Faults
from metering_sidecar.emulator._rules import MeteringState
from metering_sidecar.emulator._server import EmulatorServer

__all__ = [
    "AzureFaults",
    "AzureSettings",
    "AzureState",
    "EmulatorServer",
    "EmulatorSettings",
    "Faults",
    "MeteringState",
]
