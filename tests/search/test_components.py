"""The configured parts as each kind of process loads them."""

import subprocess
import sys

from search import components
from tests.conftest import ROOT, worker_env


def test_litert_worker_warms_up_without_tensorflow_or_keras(settings):
    """Ensure a worker on the LiteRT runtime (the default) loads its tasks and warms its model up without importing
    TensorFlow or Keras, once the converted model exists (the first worker ever builds it with Keras)."""
    settings.SEARCH_RUNTIME = "litert"
    components.warm_up()  # builds the converted model in the shared model folder if it is missing
    code = (
        "import sys, django; django.setup()\n"
        "from searchsite.celery import app; app.loader.import_default_modules()\n"
        "from search import components; components.warm_up()\n"
        "print(components.configured_model_key(), 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    env = worker_env(settings, SEARCH_RUNTIME="litert")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == [components.configured_model_key(), "False", "False"]
