"""Relaunch with new resources: write ``.resources``, commit, push, launch."""
