"""The source registry: sources, how texts name them, and attribution suggestions."""
