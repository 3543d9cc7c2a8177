"""The JSON API (``/api/v1``): the pages' operations for the university's other systems."""
