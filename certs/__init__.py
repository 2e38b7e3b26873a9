"""Test PKI generator and certificate fingerprint printer (``python -m certs --help``)."""
