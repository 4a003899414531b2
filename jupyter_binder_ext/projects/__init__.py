"""The user's projects: the hub's named servers, their five slots, stop and delete."""
