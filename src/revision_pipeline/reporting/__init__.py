"""Reporting on a finished model (kedro-free): the model card, and the MLflow registry entry.

Modules: ``model_card`` (the Markdown card and its training-curves figure, built from what
the runs wrote), ``registry`` (the training run's history, and registering the model as an
MLflow pyfunc with the card attached), ``pyfunc`` (the pyfunc that loads a model folder).
See docs/model-card.md.
"""
