"""Signed webhooks for final task states: endpoints per account, a durable outbox, deliveries."""
