"""The non-parametric latent-class capture-recapture model (LCMCR) of Manrique-Vallier (2016)."""
