"""What one keep writes and did (shared by the requirements.txt and environment.yml edits)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_binder_ext.environment.installed import Installed


@dataclass
class Edit:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def pin(package: Installed) -> str:
    """How a requirement file asks for exactly this install."""
    if package.source == "url" and package.url:
        return f"{package.name} @ {package.url}"
    return f"{package.name}=={package.version}"
