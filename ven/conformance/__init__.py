"""The conformance kit's VEN side: it plays a 2.0b VEN (pull, or push with a listener) against
a VTN under test.

- ``wire``: its own raw client (``Wire``): every byte, header and TLS parameter recorded,
  every message judged by ``common.conformance``.
- ``scenario``: ``Case``, ``Outcome``, ``CaseResult``, ``Harness`` (the moves of a case).
- ``registration`` (N1_*), ``events`` (E1_*), ``opts`` (P1_*), ``reports`` (R1_*),
  ``general`` (G1_*), ``ported`` and ``sequences`` (A_E3_*): the scenarios, named by
  certification case ID (push twins in the catalog).
- ``catalog``: every known case (run, or ``n/a`` with the reason) and ``select``.
- ``operator``: the steps a person at the VTN would do (our admin API, a script, a prompt).
- ``push``: ``PushListener``, where the VTN POSTs in the push variants.
- ``runner``: ``run_cases``; ``report``: JSON, JUnit XML and Markdown (the shared writer
  ``common.conformance.run_report``).
- ``command``: ``oadr-ven conformance``.
"""
