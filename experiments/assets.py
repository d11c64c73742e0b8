"""Static files of the active experiment package, layered over the project's.

An experiment's `static/` folder comes first, except for the scripts the platform reserves
(as Dallinger does): those always come from the project, so the browser client behaves the
same in every experiment. The third-party libraries Dallinger's pages load are served at
the paths those pages ask for. (Templates are layered the same way: page_templates.py.)
"""

import mimetypes
import posixpath
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.views.decorators.http import require_http_methods
from django.views.static import serve

from experiments import runtime

RESERVED_STATIC = frozenset(
    {"robots.txt", "scripts/dallinger2.js", "scripts/reqwest.min.js", "css/dallinger.css"}
)

#: Where Dallinger's pages load their third-party libraries from, and the copy in
#: static/vendor (from the npm registry, see scripts/vendor-assets) served there.
DALLINGER_LIBRARIES = {
    "css/bootstrap.min.css": "vendor/bootstrap/bootstrap.min.css",
    "scripts/bootstrap.min.js": "vendor/bootstrap/bootstrap.bundle.min.js",
    "scripts/reqwest.min.js": "vendor/reqwest/reqwest.min.js",
    "scripts/spin.min.js": "vendor/spin.js/spin.min.js",
    "scripts/store+json2.min.js": "vendor/store/store+json2.min.js",
    "scripts/reconnecting-websocket.js": "vendor/reconnectingwebsocket/reconnecting-websocket.js",
    "scripts/fingerprintjs2/1.5.1/fingerprint2.min.js": "vendor/fingerprintjs2/fingerprint2.min.js",
}
# Dallinger's pages name jQuery with its version (`scripts/jquery-3.7.1.min.js`, older ones
# other versions); every such name gets the one jQuery the platform ships.
VERSIONED_JQUERY = re.compile(r"^scripts/jquery-\d+(\.\d+)*(\.min)?\.js$")
VENDORED_JQUERY = "vendor/jquery/jquery.min.js"
PROJECT_STATIC = Path(__file__).resolve().parent.parent / "static"


def dallinger_library(path: str) -> str | None:
    """The vendored file served at one of Dallinger's library paths, if `path` is one."""
    if path in DALLINGER_LIBRARIES:
        return DALLINGER_LIBRARIES[path]
    return VENDORED_JQUERY if VERSIONED_JQUERY.match(path) else None


class DallingerLibraryFinder(BaseFinder):
    """Finds the vendored libraries at the paths Dallinger's pages request them from."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        vendored = dallinger_library(posixpath.normpath(path).lstrip("/"))
        if vendored is None:
            return []
        found = str(PROJECT_STATIC / vendored)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        return []


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
