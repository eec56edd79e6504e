"""Test support: where the tests' PostgreSQL comes from."""
