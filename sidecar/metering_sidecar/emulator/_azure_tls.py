"""A throw-away certificate authority and server certificate for the emulated Entra ID token endpoint.

azure-identity refuses an authority that is not https, so the emulator's token endpoint speaks TLS with
a certificate it makes at start: a CA that clients are told to trust (``ca_path``), and a server
certificate for 127.0.0.1 and localhost that it signed. EC P-256 keys: made in a millisecond, where RSA
would add a noticeable pause to every emulator start. ``cryptography`` comes with azure-identity (the
``azure`` extra); it is imported here only, when the token endpoint is started.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

_KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
)  # fmt: skip


class TlsUnavailable(Exception):
    """The ``cryptography`` package is missing: install metering-sidecar[azure]."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the generated PEM files are: trust ``ca_path``; the server uses the other two."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """Write a new CA, and a server certificate for 127.0.0.1/localhost signed by it, as PEM files."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise TlsUnavailable(
            "the emulated Azure token endpoint needs the 'cryptography' package: "
            "pip install 'metering-sidecar[azure]'"
        ) from exc
    folder = Path(directory)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=30)
    signs_certificates = dict.fromkeys(_KEY_USAGES, False) | {"key_cert_sign": True, "crl_sign": True}
    ca_usage = x509.KeyUsage(**signs_certificates)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "metering-sidecar emulator CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_usage, critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key_path.chmod(0o600)
    return files
