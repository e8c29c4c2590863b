"""sigcheck: find container signal-handling pitfalls in Dockerfiles before they ship."""

__version__ = "0.1.0"
