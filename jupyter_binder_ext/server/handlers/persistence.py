"""``GET binder/api/persistence`` and ``POST binder/api/persistence/instance-dir``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead
from jupyter_binder_ext.server.handlers.base import BinderAPIHandler

_SHARED = "binder_ext_shared_volume_read"


class _VolumeHandler(BinderAPIHandler):
    @property
    def shared_read(self) -> SharedVolumeRead:
        """The server's one shared volume read (made on the first request, not at start-up)."""
        shared = self.settings.get(_SHARED)
        if shared is None:
            shared = self.settings[_SHARED] = SharedVolumeRead(self.state.persistence)
        return shared


class PersistenceHandler(_VolumeHandler):
    @web.authenticated
    async def get(self) -> None:
        # One read per interval for every tab, in a thread of its own (see shared_read).
        self.send_json(await self.shared_read.read())


class InstanceDirHandler(_VolumeHandler):
    @web.authenticated
    async def post(self) -> None:
        try:
            data = await self.in_thread(self.state.create_instance_dir)
        finally:
            self.shared_read.invalidate()  # the volume changed: the next read is fresh
        self.send_json(data, status=201 if data["action"]["created"] else 200)
