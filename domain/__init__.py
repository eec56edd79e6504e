"""The pure core of Kata Context: models, errors and rules (stdlib and attrs only)."""
