"""The Jinja2 environments of the participant pages, with the names Dallinger's templates use.

Two engines (settings.TEMPLATES): `participant` looks in the active experiment's
`templates/` folder first and then in the project's `templates/`, so an experiment written
for Dallinger extends `base/layout.html`, `layout.html`, `base/ad.html`, ... as it does
there; `platform_pages` looks only in the project's folder, and renders the error pages,
which must still work when an experiment's templates are broken. Both give templates
Dallinger's globals: `url_for`, `get_from_config`.
"""

from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from django.template import engines

from experiments import runtime
from experiments.config_sources import ConfigurationError

PARTICIPANT_ENGINE = "participant"
PLATFORM_ENGINE = "platform_pages"
PLATFORM_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: The platform's pages an experiment cannot replace, so that the waiting room and the
#: error pages behave the same in every experiment.
RESERVED_TEMPLATES = frozenset({"complete.html", "error.html", "error-complete.html", "launch.html", "waiting.html"})

# Dallinger's (Flask) endpoint names that experiment templates pass to url_for, and our paths.
ENDPOINTS = {
    "static": "/static/{filename}",
    "index": "/",
    "advertisement": "/ad",
    "consent": "/consent",
    "get_page": "/{page}",
    "get_page_from_directory": "/{directory}/{page}",
    "experiment_property": "/experiment/{prop}",
    "recruiter_exit": "/recruiter-exit",
    "render_error": "/error-page",
    "handle_error": "/handle-error",
    "summary": "/summary",
    "launch": "/launch",
    "worker_complete": "/worker_complete",
    "worker_failed": "/worker_failed",
    "create_participant": "/participant",
    "load_participant": "/load-participant",
}


class UnknownEndpoint(LookupError):
    """url_for was asked for an endpoint the platform does not have."""


class ParticipantPageLoader(jinja2.BaseLoader):
    """The active experiment's templates first (pages the platform reserves excepted), then the project's.

    A compiled template stays valid only while the same experiment is active, so a page
    cached for one experiment is never served for another.
    """

    def __init__(self, platform_folder: Path, *, with_experiment: bool):
        self.platform = jinja2.FileSystemLoader(str(platform_folder))
        self.with_experiment = with_experiment

    def _experiment_folder(self) -> Path | None:
        return runtime.active().templates_dir if self.with_experiment else None

    def get_source(self, environment, template):
        folder = self._experiment_folder()
        if folder is not None and template not in RESERVED_TEMPLATES:
            try:
                source, filename, uptodate = jinja2.FileSystemLoader(str(folder)).get_source(environment, template)
            except jinja2.TemplateNotFound:
                pass
            else:
                return source, filename, self._while_active(folder, uptodate)
        source, filename, uptodate = self.platform.get_source(environment, template)
        return source, filename, self._while_active(folder, uptodate)

    def _while_active(self, folder, uptodate):
        return lambda: self._experiment_folder() == folder and uptodate()

    def list_templates(self):
        names = set(self.platform.list_templates())
        folder = self._experiment_folder()
        if folder is not None and folder.is_dir():
            names.update(jinja2.FileSystemLoader(str(folder)).list_templates())
        return sorted(names)


@jinja2.pass_context
def url_for(context, endpoint: str, **values) -> str:
    """Flask's url_for for the endpoints Dallinger's templates use; extra values become the query."""
    if endpoint not in ENDPOINTS:
        raise UnknownEndpoint(f"url_for({endpoint!r}): no such page; known: {', '.join(sorted(ENDPOINTS))}")
    external = values.pop("_external", False)
    anchor = values.pop("_anchor", None)
    values = {name: value for name, value in values.items() if not name.startswith("_")}
    pattern = ENDPOINTS[endpoint]
    parts = {}
    for name in list(values):
        if "{" + name + "}" in pattern:
            parts[name] = quote(str(values.pop(name)), safe="/+@:" if name == "filename" else "")
    try:
        url = pattern.format(**parts)
    except KeyError as missing:
        raise UnknownEndpoint(f"url_for({endpoint!r}) needs the value {missing}") from None
    if values:
        url += "?" + urlencode(values, doseq=True)
    if anchor:
        url += "#" + quote(str(anchor))
    request = context.get("request")
    if external and request is not None:
        url = request.build_absolute_uri(url)
    return url


def get_from_config(key: str):
    """A value of the experiment's configuration (Dallinger's template global).

    An unknown key reads as None (templates test Dallinger's own keys, such as
    `disable_browser_autotranslate`), and so does a secret.
    """
    config = runtime.active().config
    try:
        if config.is_sensitive(key):
            return None
    except ConfigurationError:
        return None
    return config.get(key, None)


def _environment(loader: jinja2.BaseLoader, options: dict) -> jinja2.Environment:
    options.pop("loader", None)
    # Templates are checked for changes on every use: the check is also what keeps one
    # experiment's cached pages from serving another's (ParticipantPageLoader).
    options["auto_reload"] = True
    environment = jinja2.Environment(loader=loader, **options)
    environment.globals.update(url_for=url_for, get_from_config=get_from_config)
    return environment


def participant_environment(**options) -> jinja2.Environment:
    """The environment of the `participant` engine: experiment templates over the project's."""
    return _environment(ParticipantPageLoader(PLATFORM_TEMPLATES, with_experiment=True), options)


def platform_environment(**options) -> jinja2.Environment:
    """The environment of the `platform_pages` engine: the project's templates only."""
    return _environment(ParticipantPageLoader(PLATFORM_TEMPLATES, with_experiment=False), options)


def reset_template_cache() -> None:
    """Forget compiled participant pages, after the active experiment changed (tests, reloads)."""
    engines[PARTICIPANT_ENGINE].env.cache.clear()
