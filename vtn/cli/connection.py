"""Where the management commands find the VTN: its configuration, admin URL, token, TLS."""

from __future__ import annotations

import argparse
import os
import ssl
from pathlib import Path

from vtn.admin.token import read_admin_token
from vtn.cli.client import AdminClient, ClientError
from vtn.config import VtnConfig, load_config

__all__ = ["CONFIG_ENV", "admin_client", "admin_url", "cli_config"]

CONFIG_ENV = "OADR_VTN_CONFIG"
"""Environment variable naming the configuration file when --config is not given."""


def cli_config(args: argparse.Namespace) -> VtnConfig:
    """The configuration `serve` would use: --config, else $OADR_VTN_CONFIG, else defaults.

    Without a file, TLS settings are not needed to talk to the admin listener, so a missing
    ``tls_*`` is not an error here (``plain_http`` is assumed for the check only).
    """
    path = args.config or os.environ.get(CONFIG_ENV)
    if path:
        return load_config(path)
    return load_config(None, {"plain_http": True})


def admin_url(config: VtnConfig) -> str:
    """``http://admin.host:admin.port`` (a wildcard host becomes the loopback address)."""
    if not config.admin.enabled:
        raise ClientError("the VTN's admin listener is off (admin.port = 0 in its "
                          "configuration); give --url")
    host = config.admin.host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{config.admin.port}"


def admin_client(args: argparse.Namespace) -> AdminClient:
    """A client of the admin API the options (else the configuration) point at."""
    config = cli_config(args)
    url = args.url or admin_url(config)
    token_file = Path(args.token_file or config.admin.token_file)
    try:
        token = read_admin_token(token_file)
    except FileNotFoundError:
        raise ClientError(f"there is no admin token at {token_file}: the VTN writes it at its "
                          "first start (`oadr-vtn serve`); give the VTN's --config FILE (or "
                          f"${CONFIG_ENV}), or --token-file FILE") from None
    except OSError as exc:
        raise ClientError(f"cannot read the admin token at {token_file}: {exc}") from None
    except ValueError as exc:  # empty, or not ASCII
        raise ClientError(str(exc)) from None
    return AdminClient(url, token, ssl_context=_ssl_context(args, config, url))


def _ssl_context(args: argparse.Namespace, config: VtnConfig,
                 url: str) -> ssl.SSLContext | None:
    if not url.startswith("https:"):  # e.g. a TLS proxy in front of a remote admin listener
        return None
    ca = args.ca or config.tls.ca
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    if ca:  # the VTN's private CA: the chain is verified, its host name is not
        context.check_hostname = False
    if args.client_cert:
        context.load_cert_chain(args.client_cert, args.client_key)
    return context
