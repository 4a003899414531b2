"""The terminal faces: ``jupyter binder ...`` and the ``%binder`` magics."""
