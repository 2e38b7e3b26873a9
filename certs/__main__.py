"""Command line: ``python -m certs`` writes a test PKI; ``python -m certs fingerprint FILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from certs.pki import (
    DEFAULT_HOSTS,
    DEFAULT_VEN_ID,
    DEFAULT_VTN_CN,
    Pki,
    make_test_pki,
    read_test_pki,
)
from common.security.fingerprint import fingerprint

DEFAULT_OUT = Path(__file__).resolve().parent / "out"

_DESCRIPTION = """\
Write a throw-away test PKI for the OpenADR 2.0b VTN and VEN, and print the certificate
fingerprints (the 2.0b form: the last 20 hex digits of the SHA-256 of the certificate's DER,
as ten colon-separated bytes). For each key type, RSA 2048 ("rsa") and ECC P-256 ("ecc"), a
self-signed CA signs a VTN and a VEN certificate:

  ca-rsa.pem   ca-ecc.pem   ca.pem (both CAs: the trust anchors)
  vtn-rsa.pem  vtn-ecc.pem  ven-rsa.pem  ven-ecc.pem   and a .key file for each

Keys are unencrypted and for tests and demos only; the default folder is git-ignored.
An existing complete PKI in the folder is kept (its fingerprints are printed) unless --force.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m certs",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder to write into (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--vtn-cn",
        default=DEFAULT_VTN_CN,
        metavar="NAME",
        help=f"common name of the VTN certificates (default: {DEFAULT_VTN_CN})",
    )
    parser.add_argument(
        "--ven-id",
        "--ven-cn",
        dest="ven_cn",
        default=DEFAULT_VEN_ID,
        metavar="NAME",
        help=f"common name of the VEN certificates, e.g. the venID (default: {DEFAULT_VEN_ID})",
    )
    parser.add_argument(
        "--host",
        dest="hosts",
        action="append",
        metavar="HOST",
        help="host name or IP address the VTN serves on, for its subjectAltName; repeat for "
        f"several (default: {' '.join(DEFAULT_HOSTS)})",
    )
    parser.add_argument("--days", type=int, default=365, help="validity in days (default: 365)")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing PKI in the folder"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = commands.add_parser(
        "fingerprint",
        help="print the 2.0b fingerprint of certificate files (PEM or DER)",
        description="Print the OpenADR 2.0b fingerprint of each certificate file (PEM or DER).",
    )
    show.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def _print_pki(pki: Pki) -> None:
    print(f"test PKI in {pki.directory}  (trust anchors: {pki.ca_bundle.name})")
    for name, pair in pki.leaves():
        print(f"  {name:8} {pair.fingerprint}  {pair.cert.name} {pair.key.name}")


def _fingerprints(files: list[Path]) -> int:
    status = 0
    for path in files:
        try:
            print(f"{fingerprint(path.read_bytes())}  {path}")
        except (OSError, ValueError) as exc:
            print(f"{path}: not a readable certificate ({exc})", file=sys.stderr)
            status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "fingerprint":
        return _fingerprints(args.files)
    if args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    existing = None if args.force else read_test_pki(args.out)
    if existing is not None:
        print("kept the existing PKI (use --force to replace it)")
        _print_pki(existing)
        return 0
    pki = make_test_pki(
        args.out,
        vtn_cn=args.vtn_cn,
        ven_cn=args.ven_cn,
        hosts=args.hosts or DEFAULT_HOSTS,
        days=args.days,
    )
    _print_pki(pki)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
