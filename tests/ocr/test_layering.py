"""ocr imports gallery, never search; its core imports no Django; gallery never imports ocr."""

import ast
from pathlib import Path

import gallery
import ocr

OCR = Path(ocr.__file__).parent
GALLERY = Path(gallery.__file__).parent


def _imports(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(folder)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((str(path.relative_to(folder)), node.module or ""))
    return found


def test_ocr_never_imports_search():
    assert [i for i in _imports(OCR) if i[1].split(".")[0] == "search"] == []


def test_ocr_core_never_imports_django_or_the_apps():
    banned = {"django", "gallery", "search", "ocr", "accounts", "searchsite"}
    assert [i for i in _imports(OCR / "core") if i[1].split(".")[0] in banned] == []


def test_gallery_never_imports_ocr():
    assert [i for i in _imports(GALLERY) if i[1].split(".")[0] == "ocr"] == []
