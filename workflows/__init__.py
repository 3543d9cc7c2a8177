"""The procedure engine: each university's procedure as validated data, and a pure engine.

Nothing here imports Flask or SQLAlchemy. The engine and the procedure files arrive with the
procedure-engine issue; this package is the place for them.
"""
