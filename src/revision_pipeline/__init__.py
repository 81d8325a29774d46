"""revision-pipeline: a retinal vision-language foundation model from a telemedicine archive."""

__version__ = "0.1.0"
