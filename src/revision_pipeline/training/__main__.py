"""``python -m revision_pipeline.training``: see :mod:`revision_pipeline.training.cli`."""

from revision_pipeline.training.cli import main

if __name__ == "__main__":
    main()
