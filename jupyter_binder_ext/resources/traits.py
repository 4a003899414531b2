"""The resource defaults and ceilings as traitlets, shared by the server and the hub hook.

The notebook server (``c.BinderExt.*``) shows them and checks `.resources` against them; the
hub hook (``c.BinderResourcesHook.*``) applies them at spawn. One definition keeps the two
descriptions and defaults from drifting apart. Imports only traitlets and the defaults'
own declaration (:class:`..config.ResourceDefaults`), which the hub can import.
"""

from __future__ import annotations

from traitlets import Float, HasTraits, Int

from jupyter_binder_ext.config import ResourceDefaults

_SEED = ResourceDefaults()


class ResourceDefaultsTraits(HasTraits):
    """What a server gets when `.resources` says nothing, and the most it may ask for."""

    default_cpu_guarantee = Float(
        _SEED.cpu_guarantee,
        config=True,
        help="""CPU cores guaranteed (the pod's request) when `.resources` has no `cpur=`
        line, or when the file cannot be used.""",
    )
    default_cpu_limit = Float(
        _SEED.cpu_limit,
        config=True,
        help="""CPU cores the server may use at most when `.resources` has no `cpul=` line,
        or when the file cannot be used.""",
    )
    default_mem_guarantee_gb = Int(
        _SEED.mem_guarantee_gb,
        config=True,
        help="""Memory guaranteed, in whole GB (GiB, as the site's `.resources` counts), when
        the file has no `memr=` line or cannot be used.""",
    )
    default_mem_limit_gb = Int(
        _SEED.mem_limit_gb,
        config=True,
        help="""Memory limit, in whole GB (GiB), when the file has no `meml=` line or cannot
        be used. It is a hard limit: the kernel is killed above it.""",
    )
    default_gpu = Int(
        _SEED.gpu,
        config=True,
        help="GPUs attached when the file has no `gpu=` line or cannot be used.",
    )
    max_cpu_limit = Float(
        _SEED.max_cpu_limit,
        config=True,
        help="""Most CPU cores a `.resources` file may ask for (`cpur=` and `cpul=`); the
        seed site's documented limit by default. The sidebar refuses more; the hub lowers a
        larger request to it and says so. 0 means no ceiling.""",
    )
    max_mem_limit_gb = Int(
        _SEED.max_mem_limit_gb,
        config=True,
        help="""Most memory, in whole GB, a `.resources` file may ask for (`memr=`, `meml=`);
        the seed site's documented limit by default. The sidebar refuses more; the hub lowers
        a larger request to it and says so. 0 means no ceiling.""",
    )
    max_gpu = Int(
        _SEED.max_gpu,
        config=True,
        help="""Most GPUs a `.resources` file may ask for (one by default). The sidebar refuses
        more; the hub lowers a larger request to it and says so. 0 means no ceiling.""",
    )

    @property
    def resource_defaults(self) -> ResourceDefaults:
        return ResourceDefaults(
            cpu_guarantee=self.default_cpu_guarantee,
            cpu_limit=self.default_cpu_limit,
            mem_guarantee_gb=self.default_mem_guarantee_gb,
            mem_limit_gb=self.default_mem_limit_gb,
            gpu=self.default_gpu,
            max_cpu_limit=self.max_cpu_limit,
            max_mem_limit_gb=self.max_mem_limit_gb,
            max_gpu=self.max_gpu,
        )
