"""The gRPC face of the sidecar: servicers, validation and error mapping."""

from sidecar.api._errors import status_for
from sidecar.api._servicer import MeteringServicer
from sidecar.api._validation import Rules, fingerprint, to_event

__all__ = ["MeteringServicer", "Rules", "fingerprint", "status_for", "to_event"]
