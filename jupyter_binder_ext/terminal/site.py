"""The site config the terminal faces use: the server's own, wherever they run.

In a kernel or terminal of a server the extension runs in, the server's effective config is
in the environment (:data:`~jupyter_binder_ext.config.SITE_ENV`), however the admin set it
(config files, ``--BinderExt.*`` on the server's command line). Elsewhere, the Jupyter config
files are read the way the server reads them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from jupyter_binder_ext.config import SITE_ENV, SiteConfig

log = logging.getLogger("jupyter_binder_ext")


def load_site_config(env: Mapping[str, str] | None = None) -> SiteConfig:
    env = os.environ if env is None else env
    published = env.get(SITE_ENV)
    if published:
        try:
            return SiteConfig.from_json(published)
        except (ValueError, TypeError) as err:
            log.warning("Ignoring %s (%s); reading the config files instead", SITE_ENV, err)
    # Imported lazily: it pulls in jupyter_server.
    from jupyter_binder_ext.server.app import BinderExt

    return BinderExt.from_config_files().site_config
