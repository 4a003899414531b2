"""URL routes of the REST API (under ``{base_url}binder/api/``)."""

from __future__ import annotations

from typing import Any

API = "/binder/api"
SERVER_NAME = r"(?P<name>[^/]+)"


def routes() -> list[tuple[str, Any]]:
    # Imported when the server builds its handlers, not at package import.
    from jupyter_binder_ext.server.handlers.environment import (
        EnvironmentHandler,
        KeepHandler,
    )
    from jupyter_binder_ext.server.handlers.launch import LaunchHandler
    from jupyter_binder_ext.server.handlers.limits import LimitsHandler
    from jupyter_binder_ext.server.handlers.persistence import (
        InstanceDirHandler,
        PersistenceHandler,
    )
    from jupyter_binder_ext.server.handlers.projects import (
        ProjectBuildLogHandler,
        ProjectHandler,
        ProjectProgressHandler,
        ProjectReportHandler,
        ProjectsHandler,
    )
    from jupyter_binder_ext.server.handlers.relaunch import RelaunchHandler
    from jupyter_binder_ext.server.handlers.resources import ResourcesHandler
    from jupyter_binder_ext.server.handlers.ssh import (
        ConfigureGitHandler,
        SSHHandler,
        SSHTestHandler,
    )
    from jupyter_binder_ext.server.handlers.work import (
        SiblingWorkHandler,
        WorkHandler,
        WorkSaveHandler,
    )

    return [
        (f"{API}/launch", LaunchHandler),
        (f"{API}/limits", LimitsHandler),
        (f"{API}/resources", ResourcesHandler),
        (f"{API}/persistence", PersistenceHandler),
        (f"{API}/persistence/instance-dir", InstanceDirHandler),
        (f"{API}/ssh", SSHHandler),
        (f"{API}/ssh/configure-git", ConfigureGitHandler),
        (f"{API}/ssh/test", SSHTestHandler),
        (f"{API}/projects", ProjectsHandler),
        (f"{API}/projects/{SERVER_NAME}", ProjectHandler),
        (f"{API}/projects/{SERVER_NAME}/progress", ProjectProgressHandler),
        (f"{API}/projects/{SERVER_NAME}/report", ProjectReportHandler),
        (f"{API}/projects/builds/(?P<build_id>[a-z0-9-]+)/log", ProjectBuildLogHandler),
        # The paths of earlier releases keep answering.
        (f"{API}/sessions", ProjectsHandler),
        (f"{API}/sessions/{SERVER_NAME}", ProjectHandler),
        (f"{API}/relaunch", RelaunchHandler),
        (f"{API}/work", WorkHandler),
        (f"{API}/work/save", WorkSaveHandler),
        (f"{API}/work/projects/{SERVER_NAME}", SiblingWorkHandler),
        (f"{API}/environment", EnvironmentHandler),
        (f"{API}/environment/keep", KeepHandler),
    ]
