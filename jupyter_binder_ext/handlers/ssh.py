"""Placeholder until the ssh domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class SSHHandler(BinderAPIHandler):
    pass


class ConfigureGitHandler(BinderAPIHandler):
    pass


class SSHTestHandler(BinderAPIHandler):
    pass
