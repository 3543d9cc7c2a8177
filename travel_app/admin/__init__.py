"""Administrator pages over units, people, roles, deputies, advisories and country lists."""
