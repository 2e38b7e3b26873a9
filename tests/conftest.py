"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

from certs.pki import Pki, make_test_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A test PKI (RSA and ECC CA, VTN and VEN certificates) generated once per session."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second, unrelated test PKI: its certificates are not trusted by `pki`'s CAs."""
    return make_test_pki(tmp_path_factory.mktemp("other-pki"), ven_cn="intruder")
