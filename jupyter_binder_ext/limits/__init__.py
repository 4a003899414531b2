"""CPU, memory and GPU guarantees, limits and live usage, from where they are enforced."""
