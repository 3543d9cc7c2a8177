"""Shared infrastructure: database helpers, audit trail, mail, permissions, heartbeat."""
