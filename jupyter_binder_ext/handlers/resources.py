"""Placeholder until the resources domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class ResourcesHandler(BinderAPIHandler):
    pass
