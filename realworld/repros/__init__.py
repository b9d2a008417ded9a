"""Minimal reproductions of differences the real-world suite found."""
