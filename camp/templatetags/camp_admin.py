from django import template
from django.conf import settings
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from camp.lists import admin_rows

register = template.Library()


@register.tag(name="camp_result_list")
def camp_result_list(parser, token):
    """`{% result_list cl %}` with the rows rendered by camp.lists.admin_rows.

    The same template, change_list_results.html, found the same way (per
    model, per app, then the admin's).
    """
    return InclusionAdminNode(
        parser,
        token,
        func=admin_rows.result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


#: Rendered sidebars by what Django's nav_sidebar.html and app_list.html read.
_sidebars: dict[tuple, SafeString] = {}
_SIDEBARS_KEPT = 512


@register.simple_tag(takes_context=True)
def camp_nav_sidebar(context) -> SafeString:
    """`{% include "admin/nav_sidebar.html" %}`, rendered once per set of inputs.

    The sidebar lists every model the user may see, each with its links, through
    two templates: about a sixth of a changelist's time. Its HTML follows from
    the apps and models listed (names, URLs, permissions), the page's path and
    the language, so the same inputs are answered from memory. With DEBUG on
    (templates edited while the server runs) it is always rendered.
    """
    template = context.template.engine.get_template("admin/nav_sidebar.html")
    if settings.DEBUG:
        return template.render(context)
    key = (
        get_language(),
        context["request"].path,
        _frozen(context.get("available_apps")),
    )
    html = _sidebars.get(key)
    if html is None:
        html = template.render(context)
        if len(_sidebars) >= _SIDEBARS_KEPT:
            _sidebars.clear()
        _sidebars[key] = html
    return html


def _frozen(value):
    """A hashable copy of the app list: lazy names as text, dicts and lists as tuples."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Promise):
        return str(value)
    return value
