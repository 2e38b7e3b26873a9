"""The kit's VEN side over TLS against our VTN, pull and push: the kit presents the VEN's
client certificate, checks the VTN's fingerprint (``--vtn-fingerprint``), and in the push
variants serves HTTPS with the VEN's certificate, requiring the VTN's client certificate; the
transcripts keep the TLS version, cipher and the other side's fingerprints."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

from certs.pki import Pki
from common.security import normalize_fingerprint
from common.security.tls import ALLIANCE_CIPHERS
from tests.support.served_vtn import served_vtn
from ven.cli import main
from ven.conformance.general import _alliance_context
from ven.conformance.operator import NoOperator
from ven.conformance.scenario import Harness, TlsFiles
from ven.conformance.wire import Wire

PUSH_FAST = "[push]\ninterval = 0.1\nbackoff = 0.2\n"

CASES = "N1_0010,N1_0015,N1_0020,N0_5015,N0_5020,N0_5040,G1_4010"
"""Registration cases: over TLS the kit is one VEN (its certificate) in every case, so N1_0015
and N0_5015 pass; event cases would find the events of earlier cases (see the docs)."""


def test_pull_and_push_over_tls_with_client_certificates(tmp_path: Path, pki: Pki, capsys):
    out = tmp_path / "report"
    with served_vtn(tmp_path, pki=pki, tables=PUSH_FAST) as vtn:
        code = main(["conformance", "--vtn-url", vtn.url,
                     "--cert", str(pki.ven_rsa.cert), "--key", str(pki.ven_rsa.key),
                     "--ca", str(pki.ca_bundle), "--vtn-fingerprint", pki.vtn_rsa.fingerprint,
                     "--cases", CASES, "--push-listen", "127.0.0.1:0",
                     "--push-wait", "10", "--push-quiet", "0.5",
                     "--operator", "ours", "--operator-url", vtn.admin_url,
                     "--operator-token-file", str(vtn.token_file), "--out", str(out)])
    captured = capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    outcomes = {c["case_id"]: (c["outcome"], c["reason"]) for c in report["cases"]}
    assert code == 0, (outcomes, captured.err)
    assert {case: outcome for case, (outcome, _) in outcomes.items()} == dict.fromkeys(
        CASES.split(","), "pass")
    assert report["transport"] == "simpleHttp pull and push"
    vtn_fp = normalize_fingerprint(pki.vtn_rsa.fingerprint)
    records = [r for c in report["cases"] for r in c["transcript"]]
    assert all(r["tls"] and r["tls"]["version"] in {"TLSv1.2", "TLSv1.3"} for r in records)
    # the kit's requests: the VTN's server certificate; the pushes: its client certificate
    assert {normalize_fingerprint(r["tls"]["peer_fingerprint"]) for r in records} == {vtn_fp}
    pushed = [r for r in records if r["direction"] == "vtn->ven"]
    assert {r["request"]["payload"] for r in pushed} >= {"oadrRegisterReport",
                                                        "oadrCancelPartyRegistration"}
    registration = next(r for c in report["cases"] if c["case_id"] == "N0_5020"
                        for r in c["transcript"]
                        if r["request"]["payload"] == "oadrCreatePartyRegistration")
    assert "<oadr:oadrTransportAddress>https://127.0.0.1:" in registration["request"]["body"]
    # G1_4010: TLS 1.2 with only the Alliance suites (the VTN's key is RSA), and no service
    # without a client certificate
    security = [check["text"] for case in report["cases"] if case["case_id"] == "G1_4010"
                for check in case["checks"]]
    assert any(t.startswith(f"negotiated TLSv1.2 AES128-SHA256; the VTN's certificate "
                            f"{pki.vtn_rsa.fingerprint}") for t in security), security
    assert any(t.startswith("without a client certificate the VTN refuses") for t in security)


def test_g1_4010_offers_only_the_alliance_suites_and_meets_an_ecc_vtn(tmp_path: Path, pki: Pki,
                                                                      capsys):
    """The VTN's ECC certificate: of the two Alliance suites the kit offers (and nothing else
    of TLS 1.2), the handshake picks ECDHE-ECDSA-AES128-SHA256."""
    out = tmp_path / "report"
    with served_vtn(tmp_path, pki=pki, key_type="ecc") as vtn:
        code = main(["conformance", "--vtn-url", vtn.url,
                     "--cert", str(pki.ven_ecc.cert), "--key", str(pki.ven_ecc.key),
                     "--ca", str(pki.ca_bundle), "--vtn-fingerprint", pki.vtn_ecc.fingerprint,
                     "--cases", "G1_4010", "--out", str(out)])
    captured = capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    [case] = report["cases"]
    assert code == 0 and case["outcome"] == "pass", (case["reason"], captured.err)
    texts = [check["text"] for check in case["checks"]]
    assert any(t.startswith(f"negotiated TLSv1.2 ECDHE-ECDSA-AES128-SHA256; the VTN's "
                            f"certificate {pki.vtn_ecc.fingerprint}") for t in texts), texts


def test_the_g1_4010_context_offers_tls_1_2_with_the_two_alliance_suites_only(pki: Pki):
    harness = Harness(Wire("https://127.0.0.1:1"), NoOperator(), ven_name="kit",
                      tls_files=TlsFiles(str(pki.ven_rsa.cert), str(pki.ven_rsa.key),
                                         str(pki.ca_bundle)))
    for with_certificate in (True, False):
        context = _alliance_context(harness, with_certificate=with_certificate)
        assert context.minimum_version is context.maximum_version is ssl.TLSVersion.TLSv1_2
        offered = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
        assert offered == set(ALLIANCE_CIPHERS)
