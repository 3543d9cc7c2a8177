"""A page per country: the advice in force and its history, lists, notes and the embassy."""
