"""The user's persistent volume and this instance's folder on it."""
