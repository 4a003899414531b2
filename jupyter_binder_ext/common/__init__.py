"""What every domain shares: running git, small files, mounts, units."""
