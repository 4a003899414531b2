"""The hub hooks on a REAL KubeSpawner building its real pod manifest, offline.

No cluster: KubeSpawner is built as its own tests build it (``_mock=True`` stands in only for
the hub's user and hub objects it reads), with a kubeconfig pointing at a local STAND-IN for
the Kubernetes API server (tests/fixtures/kube_api_standin.py) that serves the Secret calls.
GitHub's raw host is the stand-in of tests/fixtures/raw_github_standin.py. Every manifest is
validated against the Kubernetes schema with kubernetes-validate.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import kubernetes_validate
import pytest
from cryptography.hazmat.primitives import serialization
from fixtures.kube_api_standin import KubeAPIStandIn
from traitlets.config import Config

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.hub import NOTICE_ENV, binder_pre_spawn_hook, safe_username

if TYPE_CHECKING:
    from fixtures.raw_github_standin import RawGitHubStandIn

pytest_plugins = ("fixtures.raw_github_standin",)

K8S_VERSION = "1.30.0"
SHA = "89abcdef0123456789abcdef0123456789abcdef"
USER = "alice@example.org"
SERVER = "o-r-ab12cd34"


@pytest.fixture(scope="module")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAPIStandIn]:
    """One stand-in API server for the module: KubeSpawner caches its client per event loop,
    so the address must not change between tests."""
    standin = KubeAPIStandIn().start()
    kubeconfig = standin.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    before = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(kubeconfig)
    try:
        yield standin
    finally:
        standin.stop()
        if before is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = before


@pytest.fixture
def cluster(kube_api: KubeAPIStandIn) -> Iterator[KubeAPIStandIn]:
    kube_api.reset()
    yield kube_api
    _close_kubespawner_clients()


def _close_kubespawner_clients() -> None:
    """End the task KubeSpawner starts beside each shared client (it would run forever)."""
    loop = asyncio.get_event_loop()
    tasks = [t for t in asyncio.all_tasks(loop) if "close_client_task" in repr(t.get_coro())]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def options(repo_url: str = "https://github.com/o/r", spec: str = f"v2/gh/o/r/{SHA}") -> dict:
    return {
        "image": f"registry.example.org/binder-o-2dr:{SHA}",
        "token": "not-a-real-token",
        "repo_url": repo_url,
        "binder_ref_url": f"{repo_url}/tree/{SHA}",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": spec.rsplit("/", 1)[0] + "/main",
        "binder_persistent_request": spec,
    }


def kube_spawner(
    config: Config, cluster: KubeAPIStandIn, user_options: dict, name: str = SERVER
) -> Any:
    from kubespawner import KubeSpawner

    user = SimpleNamespace(name=USER, id=7, url=f"/user/{USER}/")
    # The hub's database row for a named server, reduced to what the spawner reads.
    orm_spawner = SimpleNamespace(name=name, display_name=name, server=None, last_activity=None)
    spawner = KubeSpawner(
        _mock=True, user=user, orm_spawner=orm_spawner, config=config, k8s_api_host=cluster.url
    )
    assert spawner.name == name
    spawner.user_options = user_options
    return spawner


def hub_config(raw_github: RawGitHubStandIn, **site: Any) -> Config:
    c = Config()
    c.KubeSpawner.pre_spawn_hook = binder_pre_spawn_hook
    c.BinderResourcesHook.github_raw_base_url = raw_github.url
    for key, value in site.items():
        setattr(c.BinderSite, key, value)
    return c


async def pod_for(spawner: Any) -> dict[str, Any]:
    """Run the hook as JupyterHub does, then KubeSpawner's own manifest, validated."""
    from jupyterhub.utils import maybe_future

    await maybe_future(spawner.run_pre_spawn_hook())
    pod = await spawner.get_pod_manifest()
    data: dict[str, Any] = spawner.api.api_client.sanitize_for_serialization(pod)
    assert kubernetes_validate.validate(data, K8S_VERSION, strict=True)
    return data


def container(pod: dict[str, Any]) -> dict[str, Any]:
    (notebook,) = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    return notebook


def env_of(pod: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container(pod)["env"]}


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def test_pod_carries_the_file_the_volume_and_the_key(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    raw_github.add("o", "r", SHA, ".resources", "gpu=1\ncpur=2\ncpul=4\nmemr=2\nmeml=8\n")
    pod = await pod_for(kube_spawner(hub_config(raw_github), cluster, options()))

    resources = container(pod)["resources"]
    assert resources["requests"] == {"cpu": 2.0, "memory": 2 * GB, "nvidia.com/gpu": "1"}
    assert resources["limits"] == {"cpu": 4.0, "memory": 8 * GB, "nvidia.com/gpu": "1"}
    env = env_of(pod)
    assert (env["MEM_LIMIT"], env["CPU_LIMIT"]) == (str(8 * GB), "4.0")
    assert NOTICE_ENV not in env

    slug = safe_username(USER)
    assert slug != USER  # the '@' and '.' are not DNS-safe
    volumes = by_name(pod["spec"]["volumes"])
    assert volumes["binder-persistent"]["persistentVolumeClaim"] == {"claimName": f"claim-{slug}"}
    assert volumes["binder-ssh-key"]["secret"] == {
        "secretName": f"binder-ssh-{slug}",
        "items": [
            {"key": "ssh-privatekey", "path": "ssh-privatekey", "mode": 0o600},
            {"key": "ssh-publickey", "path": "ssh-publickey", "mode": 0o644},
        ],
    }
    mounts = {m["mountPath"]: m for m in container(pod)["volumeMounts"]}
    assert mounts[f"/home/{USER}-nfs-pvc"]["name"] == "binder-persistent"
    assert mounts["/home/jovyan/.ssh/ssh.priv"] == {
        "name": "binder-ssh-key",
        "mountPath": "/home/jovyan/.ssh/ssh.priv",
        "subPath": "ssh-privatekey",
        "readOnly": True,
    }
    assert mounts["/home/jovyan/.ssh/ssh.pub"]["subPath"] == "ssh-publickey"


async def test_key_secret_is_valid_and_matches_its_pair(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    await pod_for(kube_spawner(hub_config(raw_github), cluster, options()))
    (secret,) = cluster.created  # exactly as the kubernetes client sent it
    assert kubernetes_validate.validate(secret, K8S_VERSION, strict=True)
    assert secret["type"] == "kubernetes.io/ssh-auth"
    assert secret["metadata"]["name"] == f"binder-ssh-{safe_username(USER)}"
    assert secret["metadata"]["annotations"] == {"hub.jupyter.org/username": USER}

    private = base64.b64decode(secret["data"]["ssh-privatekey"])
    public = base64.b64decode(secret["data"]["ssh-publickey"]).decode()
    # load_ssh_private_key accepts only the OpenSSH private key format.
    assert public.startswith("ssh-ed25519 ") and public.endswith(f" {USER}@binderhub\n")
    key = serialization.load_ssh_private_key(private, password=None)
    derived = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert public.split()[:2] == derived.decode().split()


async def test_key_pair_is_generated_once_per_user(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    config = hub_config(raw_github)
    first = kube_spawner(config, cluster, options())
    await pod_for(first)
    stored = dict(cluster.secrets)
    # The same server restarted, and a second named server of the same user.
    pod_again = await pod_for(first)
    other = kube_spawner(config, cluster, options(), name="o-r-ffff0000")
    await pod_for(other)

    assert [m for m, _ in cluster.requests].count("POST") == 1
    assert cluster.secrets == stored
    names = [v["name"] for v in pod_again["spec"]["volumes"]]
    assert names.count("binder-ssh-key") == 1 and names.count("binder-persistent") == 1
    assert len(container(pod_again)["volumeMounts"]) == len(
        {m["mountPath"] for m in container(pod_again)["volumeMounts"]}
    )


async def test_private_key_is_never_logged(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spawner = kube_spawner(hub_config(raw_github), cluster, options())
    spawner.log.setLevel(logging.DEBUG)
    pod = await pod_for(spawner)
    (secret,) = cluster.created
    private = base64.b64decode(secret["data"]["ssh-privatekey"]).decode()
    body = "".join(private.splitlines()[1:-1])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Created SSH key Secret default/binder-ssh-" in logged
    assert body[:40] not in logged and secret["data"]["ssh-privatekey"][:40] not in logged
    assert body[:40] not in str(pod)


async def test_gitlab_launch_gets_defaults_and_the_notice_reaches_the_pod(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    spec = f"v2/gl/group%2Fproject/{SHA}"
    spawner = kube_spawner(
        hub_config(raw_github), cluster, options("https://gitlab.com/group/project", spec)
    )
    pod = await pod_for(spawner)
    resources = container(pod)["resources"]
    assert resources["limits"] == {"cpu": 8.0, "memory": 16 * GB}
    assert resources["requests"] == {"cpu": 1.0, "memory": 1 * GB}
    assert env_of(pod)[NOTICE_ENV].startswith(
        "This hub applies .resources only for repositories on github.com"
    )
    assert raw_github.requests == []


async def test_notice_with_braces_reaches_the_pod_unchanged(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    # KubeSpawner formats plain environment strings as {username} templates.
    raw_github.add("o", "r", SHA, ".resources", "meml={username}\n")
    pod = await pod_for(kube_spawner(hub_config(raw_github), cluster, options()))
    notice = env_of(pod)[NOTICE_ENV]
    assert "line 1 (meml): meml={username} is not a number" in notice
    assert container(pod)["resources"]["limits"]["memory"] == 16 * GB


async def test_gpu_goes_away_when_the_next_launch_asks_for_none(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    other = "1111111111111111111111111111111111111111"
    raw_github.add("o", "r", SHA, ".resources", "gpu=2\n")
    raw_github.add("o", "r", other, ".resources", "meml=4\n")
    config = hub_config(raw_github)
    config.BinderResourcesHook.max_gpu = 2  # one by default
    config.KubeSpawner.extra_resource_limits = {"example.com/dongle": "1"}
    spawner = kube_spawner(config, cluster, options())
    pod = await pod_for(spawner)
    assert container(pod)["resources"]["limits"]["nvidia.com/gpu"] == "2"

    spawner.user_options = options(spec=f"v2/gh/o/r/{other}")
    pod = await pod_for(spawner)
    limits = container(pod)["resources"]["limits"]
    assert "nvidia.com/gpu" not in limits
    assert limits["example.com/dongle"] == "1"  # the operator's own extra resources stay
    assert limits["memory"] == 4 * GB


async def test_existing_chart_volumes_are_kept(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    config = hub_config(raw_github)
    # What z2jh's chart sets for singleuser.storage (list form).
    config.KubeSpawner.volumes = [{"name": "home", "emptyDir": {}}]
    config.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]
    pod = await pod_for(kube_spawner(config, cluster, options()))
    assert {v["name"] for v in pod["spec"]["volumes"]} == {
        "home",
        "binder-persistent",
        "binder-ssh-key",
    }
    assert "/home/jovyan" in {m["mountPath"] for m in container(pod)["volumeMounts"]}


async def test_nfs_share_instead_of_a_claim(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    config = hub_config(raw_github, persistent_volume="nfs", nfs_server="nfs.example.org")
    pod = await pod_for(kube_spawner(config, cluster, options()))
    volumes = by_name(pod["spec"]["volumes"])
    assert volumes["binder-persistent"]["nfs"] == {
        "server": "nfs.example.org",
        "path": f"/exports/home/{safe_username(USER)}",
    }


async def test_kubespawner_creates_the_missing_claim_per_user(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    config = hub_config(
        raw_github, persistent_volume_capacity="10Gi", persistent_volume_storage_class="nfs-csi"
    )
    spawner = kube_spawner(config, cluster, options())
    pod = await pod_for(spawner)
    claim = spawner.api.api_client.sanitize_for_serialization(spawner.get_pvc_manifest())
    assert kubernetes_validate.validate(claim, K8S_VERSION, strict=True)
    assert spawner.storage_pvc_ensure is True
    assert claim["metadata"]["name"] == f"claim-{safe_username(USER)}"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert claim["spec"]["storageClassName"] == "nfs-csi"
    mounted = by_name(pod["spec"]["volumes"])["binder-persistent"]["persistentVolumeClaim"]
    assert mounted["claimName"] == claim["metadata"]["name"]


async def test_without_rbac_for_secrets_the_spawn_stops_with_a_clear_error(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    from jupyterhub.utils import maybe_future

    cluster.forbidden = True
    spawner = kube_spawner(hub_config(raw_github), cluster, options())
    with pytest.raises(RuntimeError) as caught:
        await maybe_future(spawner.run_pre_spawn_hook())
    message = str(caught.value)
    assert message.startswith("Could not read the SSH key Secret default/binder-ssh-")
    assert "403 Forbidden" in message and "needs get/create on secrets" in message


async def test_ssh_keys_can_be_left_out(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    config = hub_config(raw_github, ssh_keys=False, persistent_volume="none")
    pod = await pod_for(kube_spawner(config, cluster, options()))
    assert cluster.requests == []
    assert not pod["spec"].get("volumes")


def test_custom_key_paths_follow_the_extension_settings() -> None:
    from jupyter_binder_ext.hub import BinderSite

    site = BinderSite(ssh_private_key_path="/keys/id", ssh_public_key_path="/keys/id.pub")
    _, mounts = site.ssh_volume_spec("bob")
    assert [(m["mountPath"], m["subPath"]) for m in mounts] == [
        ("/keys/id", "ssh-privatekey"),
        ("/keys/id.pub", "ssh-publickey"),
    ]


def test_paths_are_in_the_extension_defaults() -> None:
    # The hub mounts where the single-user extension looks by default.
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.hub import BinderSite

    site, ext = BinderSite(), SiteConfig()
    assert site.persistent_volume_mount_path == ext.persistent_volume_template
    assert (site.ssh_private_key_path, site.ssh_public_key_path) == (
        ext.ssh_private_key_path,
        ext.ssh_public_key_path,
    )
    assert Path(ext.persistent_volume_path(USER)) == Path(f"/home/{USER}-nfs-pvc")


# -- the example values file for the BinderHub chart -----------------------------------------

VALUES = Path(__file__).resolve().parents[2] / "docs" / "binderhub-values.yaml"


def values_file() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(VALUES.read_text())
    return data


def config_from_values(values: dict[str, Any]) -> Config:
    """What z2jh's jupyterhub_config.py does with hub.config and hub.extraConfig."""
    hub = values["jupyterhub"]["hub"]
    c = Config(hub["config"])
    namespace: dict[str, Any] = {"c": c}
    for key in sorted(hub["extraConfig"]):
        exec(compile(hub["extraConfig"][key], f"extraConfig.{key}", "exec"), namespace)
    return c


def test_values_file_names_only_real_settings() -> None:
    from jupyter_binder_ext.hub import BinderResourcesHook, BinderSite, server_token_scopes

    values = values_file()
    hub_config_values = values["jupyterhub"]["hub"]["config"]
    for cls in (BinderResourcesHook, BinderSite):
        known = set(cls.class_trait_names(config=True))
        assert set(hub_config_values[cls.__name__]) <= known, cls.__name__
    assert hub_config_values["KubeSpawner"]["server_token_scopes"] == server_token_scopes()
    hub = values["jupyterhub"]["hub"]
    assert (hub["allowNamedServers"], hub["namedServerLimitPerUser"]) == (True, 5)
    cull = values["jupyterhub"]["cull"]
    assert cull == {
        "enabled": True,
        "users": False,
        "removeNamedServers": True,
        "timeout": 7 * 24 * 3600,
        "every": 3600,
    }
    # BinderHub formats the appendix with str.format before handing it to repo2docker.
    appendix = values["config"]["BinderHub"]["appendix"]
    rendered = appendix.format(binder_url="https://b/", repo_url="https://github.com/o/r")
    assert "pip install --no-cache-dir jupyter_binder_ext" in rendered


async def test_values_file_gives_a_valid_pod(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    c = config_from_values(values_file())
    assert c.KubeSpawner.pre_spawn_hook is binder_pre_spawn_hook
    c.BinderResourcesHook.github_raw_base_url = raw_github.url  # the stand-in, not GitHub
    raw_github.add("o", "r", SHA, ".resources", "gpu=2\ncpul=64\nmeml=4\n")
    spawner = kube_spawner(c, cluster, options())
    pod = await pod_for(spawner)
    limits = container(pod)["resources"]["limits"]
    assert limits == {"cpu": 32.0, "memory": 4 * GB, "nvidia.com/gpu": "1"}
    assert env_of(pod)[NOTICE_ENV] == (
        ".resources: cpul=64 is above this hub's maximum, 32 applies; "
        "gpu=2 is above this hub's maximum, 1 applies."
    )
    claim = spawner.api.api_client.sanitize_for_serialization(spawner.get_pvc_manifest())
    assert kubernetes_validate.validate(claim, K8S_VERSION, strict=True)
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    (secret,) = cluster.created
    assert kubernetes_validate.validate(secret, K8S_VERSION, strict=True)


async def test_every_pod_learns_the_named_server_limit(
    raw_github: RawGitHubStandIn, cluster: KubeAPIStandIn
) -> None:
    # The variable BinderHub's launcher reads (binderhub launcher.py:55-56); KubeSpawner puts
    # Spawner.environment into the pod (jupyterhub spawner.py:1300-1330 get_env), beside the
    # image it names in JUPYTER_IMAGE_SPEC and JUPYTER_IMAGE (kubespawner spawner.py:2581-2582;
    # BinderSpawnerMixin.start, binderspawner_mixin.py:100-101, sets it from user_options).
    from jupyter_binder_ext.hub.site import BinderSite

    c = hub_config(raw_github, named_server_limit_per_user=3)
    BinderSite(config=c).configure_hub(c, culler=False)
    assert c.JupyterHub.named_server_limit_per_user == 3
    spawner = kube_spawner(c, cluster, options())
    spawner.image = options()["image"]  # what BinderSpawnerMixin.start does
    env = env_of(await pod_for(spawner))
    assert env["JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER"] == "3"
    assert env["JUPYTER_IMAGE_SPEC"] == env["JUPYTER_IMAGE"] == options()["image"]


def test_a_limit_the_operator_forwards_already_is_kept() -> None:
    from jupyter_binder_ext.hub.site import BinderSite

    c = Config()
    c.Spawner.environment = {"JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "9", "A": "1"}
    BinderSite(config=c).configure_hub(c, culler=False)
    assert c.Spawner.environment == {"JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "9", "A": "1"}
