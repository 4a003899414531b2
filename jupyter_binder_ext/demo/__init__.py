"""A local stand-in for a BinderHub: a real JupyterHub with named servers and the extension.

``python -m jupyter_binder_ext.demo`` (``make demo``) starts it; :class:`.runner.DemoHub`
starts and stops the same hub from code (tests, UI tests). Only the runner is imported from
here; the hub-side modules (spawner, hooks, launcher) import jupyterhub and run in the hub.
"""
