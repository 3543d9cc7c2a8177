"""Login, logout, profile and language."""
