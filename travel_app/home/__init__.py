"""The home page each user lands on, and the read-only risk-level overview."""
