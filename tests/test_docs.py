"""The docs match the code: every repository file, module and `make` target they name exists, and the README's
configuration table lists every environment variable the site's settings read.

Names are taken from code spans and link targets only (prose is not parsed): a path whose first part is a
tracked top-level entry (`search/spaces.py`), a dotted name that starts with one of our packages
(`search.ml.semantic.ProjectionArrays`, `bench.quality`, `search.SearchIndex` for a model), and `make TARGET`.
Runtime files (`data/…`), URLs (`/api/…`) and placeholders (`*`, `{…}`, `NAME`) are not checked.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "ARCHITECTURE.md", *(ROOT / "docs").glob("*.md")])
PACKAGES = ("accounts", "bench", "gallery", "search", "searchsite", "tests")
TOP_LEVEL = {
    line.split("/")[0]
    for line in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
}
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
DOTTED = re.compile(rf"(?<![\w./-])(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+(?![\w/])")
PATH = re.compile(r"(?<![\w./~-])[\w.-]+(?:/[\w.-]+)+/?")
MAKE = re.compile(r"\bmake ([a-z][\w-]*)")
FILE_SUFFIXES = (".py", ".md", ".json", ".sh", ".conf", ".txt", ".toml", ".ini", ".png", ".html", ".js", ".css")


def code_spans(text: str) -> list[str]:
    text = re.sub(r"^```.*?^```", lambda m: f"`{m.group(0)}`", text, flags=re.DOTALL | re.MULTILINE)
    return [span for _, span in CODE_SPAN.findall(text)]


def placeholder(name: str) -> bool:
    return any(mark in name for mark in "*{}<>…$") or bool(re.search(r"\b[A-Z]{2,}\b", name))


def missing_path(name: str, doc: Path) -> bool:
    name = name.split("::")[0].rstrip("/")
    if placeholder(name) or name.split("/")[0] not in TOP_LEVEL:
        return False
    return not ((ROOT / name).exists() or (ROOT / f"{name}.py").exists())  # a module may be named by its path


def module_source(parts: list[str]) -> tuple[Path | None, list[str]]:
    """The longest prefix of ``parts`` that is a module file or package, and the attributes left after it."""
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate, parts[end:]
    return None, parts


def missing_module(name: str) -> bool:
    parts = name.split(".")
    if name.endswith(FILE_SUFFIXES) or placeholder(name):
        return False
    source, attributes = module_source(parts)
    if source is None:
        return True
    if not attributes:
        return False
    places = [source]
    if source.name == "__init__.py" and (source.parent / "models.py").is_file():
        places.append(source.parent / "models.py")  # app.Model, as Django names models
    defined = re.compile(rf"^\s*(?:def |class |async def )?{re.escape(attributes[0])}\b\s*[(:=]", re.MULTILINE)
    imported = re.compile(rf"^\s*(?:from .+ )?import .*\b{re.escape(attributes[0])}\b", re.MULTILINE)
    return not any(defined.search(p.read_text()) or imported.search(p.read_text()) for p in places)


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def names_in(doc: Path) -> dict[str, set[str]]:
    text = doc.read_text()
    spans = code_spans(text)
    found = {"paths": set(), "modules": set(), "make": set(), "links": set()}
    for span in spans:
        found["modules"] |= set(DOTTED.findall(span))
        found["paths"] |= {p for p in PATH.findall(span) if "://" not in span[max(0, span.find(p) - 3) : span.find(p)]}
        found["make"] |= set(MAKE.findall(span))
    for target in LINK.findall(text):
        if not target.startswith(("http://", "https://", "mailto:", "#")):
            found["links"].add(target.split("#")[0])
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_names_only_files_modules_and_make_targets_that_exist(doc):
    found = names_in(doc)
    wrong = {
        "paths": sorted(p for p in found["paths"] if missing_path(p, doc)),
        "modules": sorted(m for m in found["modules"] if missing_module(m)),
        "make targets": sorted(found["make"] - make_targets()),
        "links": sorted(t for t in found["links"] if not (doc.parent / t).exists()),
    }
    assert {kind: names for kind, names in wrong.items() if names} == {}


def test_the_checker_finds_names_that_do_not_exist(tmp_path):
    """Ensure the checks above can fail: a doc naming a missing file, module, target and link is caught."""
    doc = tmp_path / "bad.md"
    doc.write_text(
        "See `search/nothing_here.py`, `search.ml.semantic.NoSuchThing`, `search.gone`, `make nothing` and "
        "[a page](missing.md); but `search/spaces.py`, `search.ml.semantic.ProjectionArrays`, `search.SearchIndex`, "
        "`make check` and `/api/photos/` are fine.\n"
    )
    found = names_in(doc)
    assert sorted(p for p in found["paths"] if missing_path(p, doc)) == ["search/nothing_here.py"]
    assert sorted(m for m in found["modules"] if missing_module(m)) == ["search.gone", "search.ml.semantic.NoSuchThing"]
    assert found["make"] - make_targets() == {"nothing"}
    assert [t for t in found["links"] if not (doc.parent / t).exists()] == ["missing.md"]


def test_readme_configuration_table_lists_every_variable_the_settings_read():
    settings = [p for p in (ROOT / "searchsite" / "settings").glob("*.py") if not p.name.startswith(("test", "worker"))]
    read = set()
    for path in settings:
        text = path.read_text()
        read |= set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
        read |= set(re.findall(r"os\.environ(?:\.get|\.setdefault)?[\[(]\s*\"([A-Z][A-Z0-9_]+)\"", text))
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    table = {
        name
        for row in section.splitlines()
        if row.startswith("|")
        for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }
    assert read - table == set()
