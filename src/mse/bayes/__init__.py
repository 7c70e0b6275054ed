"""Bayesian models for multiple-systems estimation."""
