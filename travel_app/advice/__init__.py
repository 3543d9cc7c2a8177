"""Official travel advice imported from the governments' published feeds (the live risk picture)."""
