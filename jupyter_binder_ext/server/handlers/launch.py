"""``GET binder/api/launch``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.launch.builders import build_launch
from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class LaunchHandler(BinderAPIHandler):
    @web.authenticated
    def get(self) -> None:
        self.send_json(build_launch(self.state.launch()))
