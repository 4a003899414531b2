"""The ExtensionApp's settings: renamed ones keep working under their old names."""

from __future__ import annotations


def test_the_old_name_of_the_projects_cache_setting_still_works() -> None:
    from traitlets.config import Config

    from jupyter_binder_ext.server.app import BinderExt

    config = Config()
    config.BinderExt.sessions_cache_ttl = 42.0
    assert BinderExt(config=config).site_config.projects_cache_ttl == 42.0
    assert BinderExt().site_config.projects_cache_ttl == 5.0
