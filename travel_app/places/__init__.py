"""Countries and regions, risk scales, advisories and the university's country lists."""
