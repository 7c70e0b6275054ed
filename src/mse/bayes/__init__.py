"""Bayesian capture-recapture models: latent classes, decomposable graphs and log-linear models."""
