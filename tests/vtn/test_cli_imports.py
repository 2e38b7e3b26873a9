"""The ``oadr-vtn`` CLI is a client of the admin API: it loads none of the server's modules."""

from __future__ import annotations

import subprocess
import sys

SERVER_SIDE = ("aiohttp", "sqlalchemy", "vtn.server", "vtn.app", "vtn.services", "vtn.storage",
               "vtn.admin.routes", "vtn.admin.auth", "vtn.admin.problems")


def test_the_cli_imports_no_server_module():
    code = "import sys, vtn.cli; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = done.stdout.split()
    assert "vtn.cli" in loaded
    assert [m for m in loaded if m.startswith(SERVER_SIDE)] == []
