"""Placeholder until the relaunch domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class RelaunchHandler(BinderAPIHandler):
    pass
