"""Gallery owns photos and knows nothing of search: search depends on gallery, never the reverse."""

import ast
import subprocess
import sys
from pathlib import Path

import gallery

GALLERY = Path(gallery.__file__).parent


def test_no_gallery_module_imports_search():
    """Ensure no import statement anywhere under gallery/ names the search app (lazy imports included)."""
    offenders = []
    for path in GALLERY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.relative_to(GALLERY)}: {n}" for n in names if n.split(".")[0] == "search"]
    assert offenders == []


def test_gallery_works_without_the_search_app():
    """Ensure Django starts with gallery but without search installed, and importing every gallery module
    (services, views, API, commands) loads no search module."""
    code = """
import pkgutil, sys
import django
from django.conf import settings
import searchsite.settings.test as base
values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
values["INSTALLED_APPS"] = [app for app in base.INSTALLED_APPS if app != "search"]
settings.configure(**values)
django.setup()
import gallery
for module in pkgutil.walk_packages(gallery.__path__, "gallery."):
    if ".migrations." not in module.name:
        __import__(module.name)
print(",".join(sorted(n for n in sys.modules if n == "search" or n.startswith("search."))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=GALLERY.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""
