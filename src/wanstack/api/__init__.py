"""The HTTP API: translation between DashScope's wire format and the services."""
