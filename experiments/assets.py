"""Templates and static files of the active experiment package, layered over the project's.

An experiment's `templates/` and `static/` folders come first, except for the pages and
scripts the platform reserves (as Dallinger does): those always come from the project, so
the waiting room, the error page and the browser client behave the same in every
experiment.
"""

import mimetypes
import posixpath
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.template.loaders.filesystem import Loader as FilesystemLoader
from django.views.decorators.http import require_http_methods
from django.views.static import serve

from experiments import runtime

RESERVED_TEMPLATES = frozenset({"complete.html", "error.html", "error_complete.html", "launch.html", "waiting.html"})
RESERVED_STATIC = frozenset(
    {"robots.txt", "scripts/dallinger2.js", "scripts/reqwest.min.js", "css/dallinger.css"}
)


def reset_template_cache() -> None:
    """Forget compiled templates, after the active experiment changed (tests, reloads)."""
    from django.template import engines

    for loader in engines["django"].engine.template_loaders:
        if hasattr(loader, "reset"):
            loader.reset()


class ExperimentTemplateLoader(FilesystemLoader):
    """Loads templates from the active experiment's `templates/` folder (reserved pages excepted)."""

    def get_dirs(self):
        folder = runtime.active().templates_dir
        return [folder] if folder else []

    def get_template_sources(self, template_name):
        if template_name in RESERVED_TEMPLATES:
            return
        yield from super().get_template_sources(template_name)


class ExperimentStaticFinder(BaseFinder):
    """Finds static files in the active experiment's `static/` folder (reserved files excepted)."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        folder = runtime.active().static_dir
        normalized = posixpath.normpath(path).lstrip("/")
        if folder is None or normalized in RESERVED_STATIC or normalized.startswith(".."):
            return []
        try:
            candidate = (folder / normalized).resolve()
            if folder.resolve() not in candidate.parents or not candidate.is_file():
                return []
        except (OSError, ValueError):  # a NUL byte, or a name too long for the file system
            return []
        return [str(candidate)] if find_all else str(candidate)

    def list(self, ignore_patterns):
        folder = runtime.active().static_dir
        if folder is None:
            return
        storage = FileSystemStorage(location=str(folder))
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and relative not in RESERVED_STATIC:
                yield relative, storage


@require_http_methods(["GET", "HEAD"])
def static_file(request, path):
    """GET /static/<path>: a static file of the experiment or of the project, in any mode.

    Production deployments may put a CDN or a web server in front; this keeps a single
    process able to serve an experiment on its own.
    """
    found = finders.find(path)
    if not found:
        raise Http404(f"No static file {path}")
    found = Path(found)
    response = serve(request, found.name, document_root=str(found.parent))
    if response.get("Content-Type", "").startswith("application/octet-stream"):
        guessed, _ = mimetypes.guess_type(found.name)
        if guessed:
            response["Content-Type"] = guessed
    # Revalidate every time (a cheap 304): an updated experiment must never run old scripts.
    response["Cache-Control"] = "no-cache"
    return response
