"""Reports for the safety office, the risk committee and the board."""
