"""The DashScope models this server serves: wire schema, validation and media rules."""
