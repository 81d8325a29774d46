"""Evaluation of a retinal CLIP model (kedro-free): zero-shot with expert-knowledge prompts,
few-shot adaptation, cohorts and retrieval, baselines, contamination check, report.

Modules: ``prompts`` (class -> text), ``images`` (curate's crop for benchmark photos),
``features`` (model loading, cached encoding), ``metrics``, ``zero_shot``, ``cohorts``,
``contamination``, ``adaptation`` (probe, Tip-Adapter-F, LoRA, fine-tuning), ``runner``
(one benchmark end to end), ``plots``, ``report``. See docs/evaluation.md.
"""
