"""The outbox: every e-mail is a row written with the change that causes it, sent by Celery."""
