"""Demo data for trying Safe Passage out. None of it is real travel advice."""
