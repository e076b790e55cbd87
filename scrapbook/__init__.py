"""Scrapbook: an anonymous, moderated, creative scrapbook of loneliness and isolation."""

__version__ = "0.1.0"
