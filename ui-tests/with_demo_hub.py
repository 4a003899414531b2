"""Run a command (the Galata tests) with a real JupyterHub behind the Projects section.

    cd ui-tests && ../.venv/bin/python with_demo_hub.py jlpm playwright test

Starts the demo hub (the real jupyterhub package behind configurable-http-proxy, named
servers limited to 5) in a temporary folder, gives the test user two projects, one running
and one stopped but not deleted (it still holds a slot), mints an API token with the user's
own scopes, and runs the command with BINDER_UI_TESTS_HUB_API_URL / _TOKEN / _USER set, which
jupyter_server_test_config.py hands to the extension. The hub is stopped afterwards.

The same hub serves the `demo-hub` Playwright project (tests/demo-relaunch.spec.ts), whose
browser logs into the hub itself: BINDER_UI_TESTS_DEMO_URL is the hub's public URL and
BINDER_UI_TESTS_DEMO_ADMIN_TOKEN its admin API token, for deleting the servers it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack

from jupyter_binder_ext.demo.runner import DemoHub

USER = "galata-user"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    with ExitStack() as stack:
        state = stack.enter_context(tempfile.TemporaryDirectory(prefix="binder-ui-hub-"))
        hub = stack.enter_context(DemoHub(state, port=0))
        options = hub.binder_options("octo-org", "demo-repo")
        hub.start_server(USER, "octo-org-demo-repo-run00001", options)
        hub.start_server(USER, "octo-org-demo-repo-stop0001", options)
        hub.stop_server(USER, "octo-org-demo-repo-stop0001")  # stopped, not deleted
        env = {
            **os.environ,
            "BINDER_UI_TESTS_HUB_API_URL": hub.hub_api_url,
            "BINDER_UI_TESTS_HUB_TOKEN": hub.user_token(USER),
            "BINDER_UI_TESTS_HUB_USER": USER,
            "BINDER_UI_TESTS_DEMO_URL": hub.url,
            "BINDER_UI_TESTS_DEMO_ADMIN_TOKEN": hub.admin_token,
            # Where the demo reads its namespace limits (tests/progress.spec.ts sets them).
            "BINDER_UI_TESTS_DEMO_STATE": str(hub.state_dir),
        }
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
