"""people depends on gallery; gallery never imports people, people never imports search, and the face core
(people/ml.py) never imports Django."""

import ast
import subprocess
import sys
from pathlib import Path

import gallery
import people

ROOT = Path(people.__file__).parent.parent


def _imports(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module or ""))
    return found


def test_gallery_never_imports_people():
    assert [i for i in _imports(Path(gallery.__file__).parent) if i[1].split(".")[0] == "people"] == []


def test_people_never_imports_search():
    assert [i for i in _imports(Path(people.__file__).parent) if i[1].split(".")[0] == "search"] == []


def test_the_face_core_loads_without_django():
    code = "import sys, people.ml; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
