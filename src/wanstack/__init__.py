"""wanstack: self-hosted DashScope-compatible image and video generation."""

__version__ = "0.1.0"
