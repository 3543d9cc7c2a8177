"""Sign-in with the university's account: OpenID Connect and SAML 2.0 providers."""
