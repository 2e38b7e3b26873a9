"""The building's own local HTTP API, served by ``oadr-ven run`` when ``[api] port`` is set.

Loopback and a bearer token (``[api] token_file``, mode 0600, made at the first start), JSON,
an OpenAPI 3.1 document at ``/api/v1/openapi.json``. Modules: `server` (routes, listener),
`auth` (token file, bearer check, errors), `context` (what handlers share), `invitations`,
`flexibility`, `benefits`, `history` (telemetry), `plans`, `openapi`.
"""
