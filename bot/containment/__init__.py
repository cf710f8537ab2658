"""Containment: the plan of steps, who may approve it, and running it once."""
