"""What the idle deletion of this project would lose, and one action each to keep it."""
