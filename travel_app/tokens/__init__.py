"""Service tokens: bearer tokens with scopes for machines (SCIM now, the JSON API later)."""
