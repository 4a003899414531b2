"""Placeholder until the sessions domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class SessionsHandler(BinderAPIHandler):
    pass


class SessionHandler(BinderAPIHandler):
    pass
