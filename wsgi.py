"""Entry points: ``wsgi:app`` for gunicorn and flask, ``wsgi:celery`` for workers and beat."""

from travel_app import create_app

app = create_app()
celery = app.extensions["celery"]
