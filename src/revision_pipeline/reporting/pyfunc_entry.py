"""MLflow models-from-code entry: the file ``registry.log_pyfunc`` logs as the model's code.

MLflow runs this file when the registered model is loaded; it only names the model class,
so the registry holds code and the model folder, never a pickle. Not imported by the package.
"""

from mlflow.models import set_model

from revision_pipeline.reporting.pyfunc import RetinaClipPyfunc

set_model(RetinaClipPyfunc())
