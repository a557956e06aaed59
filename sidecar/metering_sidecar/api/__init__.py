"""The gRPC face of the sidecar: servicers, validation and error mapping."""

from metering_sidecar.api._auth import TokenAuth
from metering_sidecar.api._errors import status_for
from metering_sidecar.api._servicer import MeteringServicer
from metering_sidecar.api._validation import Rules, fingerprint, to_event

__all__ = ["MeteringServicer", "Rules", "TokenAuth", "fingerprint", "status_for", "to_event"]
