"""Webhooks: signed POSTs to other systems when a trip changes state, a risk level changes or a
traveller answers a crisis message, written with the change and sent by Celery."""
