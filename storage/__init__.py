"""Persistence: SQLModel tables and the queries that keep them consistent."""
