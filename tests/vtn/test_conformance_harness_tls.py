"""The kit's VTN side over TLS, pull and push: the harness serves HTTPS and requires the VEN's
client certificate (its 2.0b fingerprint), and pushes to our VEN's HTTPS endpoint presenting
its own certificate; every exchange records the TLS version, cipher and the fingerprint of the
other side's certificate."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from certs.pki import Pki
from common.security import client_context, normalize_fingerprint, server_context
from tests.support.network import free_port
from tests.support.processes import ROOT
from vtn.conformance import ScriptedVtn, run_cases, select
from vtn.conformance.operator import make_operator
from vtn.conformance.records import CaseResult, Outcome


def tls_ven_config(tmp_path: Path, pki: Pki, url: str, push_port: int | None) -> Path:
    push = "" if push_port is None else (
        f'[push]\nlisten = "127.0.0.1:{push_port}"\n'
        f'address = "https://127.0.0.1:{push_port}"\n')
    config = tmp_path / "ven.toml"
    config.write_text(push + f"""
[vtn]
url = "{url}"
fingerprint = "{pki.vtn_rsa.fingerprint}"
[ven]
name = "tls-conformance-ven"
database = "state/ven.sqlite"
poll_interval_s = 0.1
[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
check_hostname = false
[retry]
initial_s = 0.1
max_s = 0.4
""")
    return config


async def run_over_tls(tmp_path: Path, pki: Pki, *, push: bool, cases: list[str]
                       ) -> list[CaseResult]:
    vtn = ScriptedVtn(ven_fingerprint=pki.ven_rsa.fingerprint, push=push,
                      push_tls=client_context(pki.vtn_rsa.cert, pki.vtn_rsa.key,
                                              ca=pki.ca_bundle, check_hostname=False))
    url = await vtn.start("127.0.0.1", 0, server_context(pki.vtn_rsa.cert, pki.vtn_rsa.key,
                                                         ca=pki.ca_bundle))
    config = tls_ven_config(tmp_path, pki, url, free_port() if push else None)
    try:
        with (tmp_path / "ven.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ven", "run", "--config", str(config), cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            return await run_cases(vtn, select(cases, push=push),
                                   make_operator(f"ours-ven:{config}"), timeout=20.0,
                                   quiet=1.0)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)
    finally:
        await vtn.stop()


async def test_pull_and_push_over_tls_with_fingerprints(tmp_path: Path, pki: Pki):
    ven_fp = normalize_fingerprint(pki.ven_rsa.fingerprint)
    for push, ids in ((False, ["N1_0020", "E1_1020", "G1_4010"]),
                      (True, ["N1_0020", "E1_1020", "G1_4010"])):
        where = tmp_path / ("push" if push else "pull")
        where.mkdir()
        results = await run_over_tls(where, pki, push=push, cases=ids)
        log = (where / "ven.log").read_text()
        assert {r.case_id: r.outcome for r in results} == {
            r.case_id: Outcome.PASS for r in results}, (
            {r.case_id: r.reason for r in results}, log[-3000:])
        assert len(results) == 3
        # G1_4010 (G0_9010) judged the TLS of its own exchanges, not n/a as over plain HTTP
        assert "TLS: TLSv1." in results[-1].reason
        records = [record for r in results for record in r.transcript]
        assert records and all(r.tls_version in {"TLSv1.2", "TLSv1.3"} and r.cipher
                               for r in records)
        # requests: the VEN's client certificate; pushes: the VEN's server certificate
        assert {r.client_fingerprint for r in records} == {ven_fp}
        assert any(r.direction == "vtn->ven" for r in records) is push
