"""Duty of care: who is where now, and reaching them when a crisis hits."""
