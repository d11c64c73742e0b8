"""How the dashboard's tables show values: JSON made readable, long text shortened, rows linked.

Every piece of HTML here is built with `format_html`, which escapes what it is given: the
record holds text participants wrote, and it must show as text.
"""

import json
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

#: Characters of a value shown in a list before it is cut short.
SHORT_LENGTH = 80


def json_text(value, *, indent: int | None = 2) -> str:
    """`value` as JSON text, keys sorted, non-ASCII kept (dates and decimals as strings)."""
    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, default=str)


def json_block(value):
    """`value` as indented JSON in a <pre>, escaped; a dash when empty."""
    if value in (None, {}, []):
        return "-"
    return format_html('<pre class="dashboard-json">{}</pre>', json_text(value))


def shortened(text, limit: int = SHORT_LENGTH) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis (escaped where shown)."""
    if text is None:
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_short(value, limit: int = SHORT_LENGTH) -> str:
    """`value` as one line of JSON, cut short; empty for an empty value."""
    if value in (None, {}, []):
        return ""
    return shortened(json_text(value, indent=None), limit)


def change_url(model, pk) -> str | None:
    """The dashboard page of row `pk` of `model` (a proxy's rows are its table's), or None."""
    options = model._meta.concrete_model._meta
    try:
        return reverse(f"admin:{options.app_label}_{options.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def list_url(model, **params) -> str | None:
    """The dashboard list of `model`, filtered by `params`, or None."""
    options = model._meta.concrete_model._meta
    try:
        url = reverse(f"admin:{options.app_label}_{options.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


def row_link(model, pk, text=None):
    """A link to row `pk` of `model` showing `text` (default: the id); a dash without a row."""
    if pk is None:
        return "-"
    url = change_url(model, pk)
    label = pk if text is None else text
    return format_html('<a href="{}">{}</a>', url, label) if url else format_html("{}", label)


def links(items) -> str:
    """`(text, url)` pairs as links separated by middle dots (pairs without a URL left out)."""
    return format_html_join(" · ", '<a href="{}">{}</a>', ((url, text) for text, url in items if url)) or "-"
