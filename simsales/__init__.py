"""simsales: a Monte-Carlo capacity and growth simulator for B2C sales teams."""

__version__ = "0.1.0"
