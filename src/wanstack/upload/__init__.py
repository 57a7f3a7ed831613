"""Temporary files uploaded through the SDK's getPolicy flow (``oss://`` keys)."""
