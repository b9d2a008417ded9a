"""Helpers the tests share: projects, databases, op runs."""
