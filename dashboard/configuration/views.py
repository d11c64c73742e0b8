"""The Config and Development tabs."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from dashboard.configuration.links import development_links
from dashboard.configuration.rows import configuration_rows
from experiments import runtime


@require_http_methods(["GET"])
def config_page(request):
    """Every configuration key, its value (secrets hidden) and where the value came from."""
    config = runtime.active().config
    context = {
        **admin.site.each_context(request),
        "title": "Configuration",
        "rows": configuration_rows(config),
        "auto_recruit": bool(config.get("auto_recruit")),
    }
    return TemplateResponse(request, "dashboard/configuration/config.html", context)


@require_http_methods(["GET"])
def development_page(request):
    """Links for trying the experiment as a participant."""
    config = runtime.active().config
    context = {
        **admin.site.each_context(request),
        "title": "Development",
        "links": development_links(config),
        "mode": config.get("mode"),
    }
    return TemplateResponse(request, "dashboard/configuration/development.html", context)
