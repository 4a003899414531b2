"""The mounted SSH key pair, made usable for pushing to GitHub."""
