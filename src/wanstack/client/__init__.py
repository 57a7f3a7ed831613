"""Clients of any DashScope-compatible endpoint: ``wanstack run`` and ``wanstack batch``."""
