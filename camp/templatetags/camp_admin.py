from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

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
