"""SCIM 2.0 provisioning: the identity provider creates, updates and deactivates people."""
