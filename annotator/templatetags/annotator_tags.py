from django import template

from annotator import roles
from annotator.annotation.selectors import annotation_progress

register = template.Library()


@register.inclusion_tag("admin/annotator/your_work.html", takes_context=True)
def your_work(context):
    """The projects the user annotates, with progress and a link to the next statement."""
    user = context["request"].user
    return {
        "work": [
            (project, annotation_progress(project=project, user=user))
            for project in roles.annotated_projects(user)
        ]
    }
