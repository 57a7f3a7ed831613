"""The browser playground served at ``/``: static files, no build step."""
