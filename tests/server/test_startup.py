"""Nothing heavy is imported when the server loads the extension."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pynvml", "kubernetes", "kubespawner", "jupyterhub", "IPython", "hypothesis", "psutil"]

PROBE = """
import json, sys
import jupyter_binder_ext
points = jupyter_binder_ext._jupyter_server_extension_points()
app = points[0]["app"]()
from jupyter_binder_ext.server.handlers import routes
routes()
print(json.dumps(sorted(m for m in %r if m in sys.modules)))
"""


def test_loading_the_extension_imports_nothing_heavy():
    out = subprocess.run(
        [sys.executable, "-c", PROBE % HEAVY], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
