"""phasediff: architectural drift between phase architecture documents."""

__version__ = "0.1.0"
