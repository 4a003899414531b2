"""Placeholder until the limits domain lands; the owner replaces this file."""

from .base import BinderAPIHandler


class LimitsHandler(BinderAPIHandler):
    pass
