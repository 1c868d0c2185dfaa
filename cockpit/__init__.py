"""cockpit: a terminal cockpit for release day."""

__version__ = "0.1.0"
