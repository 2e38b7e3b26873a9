"""A configuration for ``vtn.server.serve`` over real TLS on free local ports."""

from __future__ import annotations

from pathlib import Path

from certs.pki import Pki
from tests.support.network import free_port
from vtn.config import AdminSettings, TlsSettings, VtnConfig


def tls_config(tmp_path: Path, pki: Pki) -> VtnConfig:
    """TLS with `pki`'s ECC VTN certificate, the database and admin token under `tmp_path`."""
    return VtnConfig(
        vtn_id="TEST-VTN",
        port=free_port(),
        state_dir=tmp_path / "var",  # the database and the admin token go there
        admin=AdminSettings(port=free_port()),
        tls=TlsSettings(cert=pki.vtn_ecc.cert, key=pki.vtn_ecc.key, ca=pki.ca_bundle),
    )
