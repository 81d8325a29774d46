"""Deployment of a trained model to a clinic's CPU (kedro-free).

Modules:

* ``bundle`` — the export folder's files, manifest, preprocessing settings, and finding
  the latest export (no torch).
* ``runtime`` — screening with onnxruntime: preprocessing, image embeddings, finding
  probabilities (no torch; this is all ``python -m revision_pipeline.screen`` loads).
* ``export`` — the image tower to ONNX (fp32 and INT8), the class prototypes of the
  canonical findings, the manifest (needs torch; used by ``kedro run --pipeline=export``).

See docs/deployment.md. Importing this package imports none of them.
"""
