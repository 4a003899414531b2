"""The Jupyter Server extension: the ExtensionApp and its REST handlers."""
