"""A label group's description is the help text of its field in every labelling form, which
the admin renders as HTML: typed by a lead or imported from a file, it must arrive escaped.
(The browser crawl in test_browser_stored_xss.py checks every page; this is the reported case
over plain HTTP, on SQLite and PostgreSQL alike.)"""

from annotator.models import LabelGroup
from tests.security.world import objects_of

PAYLOAD = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_a_label_group_description_is_escaped_in_every_labelling_form(world):
    LabelGroup.objects.filter(name="Bias").update(
        description=PAYLOAD, description_en=PAYLOAD, description_de=PAYLOAD
    )
    statement = objects_of(world.project)["annotator.statement"]
    pages = [
        (world.client("annotator"), f"/admin/annotator/annotation/add/?statement={statement.pk}"),
        (world.client("annotator"), f"/admin/annotator/annotation/{world.alices.pk}/change/"),
        (world.client("lead"), f"/admin/annotator/goldlabel/{world.gold.pk}/change/"),
        (world.client("lead"), "/admin/annotator/goldlabel/add/"),
        (
            world.client("lead"),
            f"/admin/annotator/project/{world.project.pk}/disagreements/{world.bobs.statement_id}/",
        ),
    ]
    for client, url in pages:
        body = client.get(url).content.decode()
        assert ESCAPED in body, url
        assert "<img src=x" not in body and "<script>alert" not in body, url
