"""The repository's ``.resources`` file: the model, the file on disk, the traitlets."""
