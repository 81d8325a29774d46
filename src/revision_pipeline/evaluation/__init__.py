"""Evaluation of a trained model (kedro-free): zero-shot, adaptation, cohorts, report."""
