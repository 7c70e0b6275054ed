"""Hierarchical log-linear models for multiple-systems estimation."""
