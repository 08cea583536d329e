"""The ML core stays Django-free."""

import pkgutil
import subprocess
import sys

import search.ml


def test_ml_core_imports_nothing_of_django_or_searchsite():
    """Ensure importing every search.ml module loads neither Django nor another searchsite app."""
    modules = [f"search.ml.{m.name}" for m in pkgutil.iter_modules(search.ml.__path__)]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'django', 'rest_framework', 'gallery',"
        " 'accounts', 'searchsite'} or (n.startswith('search.') and not n.startswith('search.ml')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
