"""Placeholder until the persistence domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class PersistenceHandler(BinderAPIHandler):
    pass


class InstanceDirHandler(BinderAPIHandler):
    pass
