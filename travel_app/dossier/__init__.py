"""The mission dossier: a per-trip checklist generated from the procedure on approval."""
