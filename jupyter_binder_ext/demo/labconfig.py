"""The demo servers' JupyterLab page config: lab extensions whose server side the demo
leaves off are turned off too, so the browser never asks for routes nobody serves.

jupyter-resource-usage's server extension is off in the demo (the status bar shows this
extension's RAM figure instead, see :mod:`.spawner`), but its lab extension is installed with
it and would poll ``/api/metrics/v1`` and ``/api/metrics/v1/kernel_usage`` and log a 404 each
time. JupyterLab reads ``labconfig/page_config.json`` from every folder of the Jupyter config
path (jupyterlab_server ``config.py``, ``get_page_config``); this is the file and the key that
``jupyter labextension disable`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

# Lab extensions whose server side the demo's servers do not run.
DISABLED_LAB_EXTENSIONS = ("@jupyter-server/resource-usage",)


def write_lab_config(state_dir: Path) -> Path:
    """Write the page config under `state_dir`; return the folder for JUPYTER_CONFIG_PATH."""
    config_dir = Path(state_dir) / "jupyter-config"
    page_config = config_dir / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    disabled = {name: True for name in DISABLED_LAB_EXTENSIONS}
    page_config.write_text(json.dumps({"disabledExtensions": disabled}, indent=2) + "\n")
    return config_dir
