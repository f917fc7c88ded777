"""The demo: the example article in a demo project (a bias-and-stance study), with a lead, three
annotators who already annotated it (disagreeing the way real annotators do) and one with a full
queue; and beside it a second project with its own label schema (a study of topic and stance:
Topic and Stance, both required), which two of the annotators annotated.

Idempotent: users, sources, label groups, the document and annotations are created only where
missing, so running it twice loses nothing and duplicates nothing.
"""

import json
import random
from dataclasses import dataclass
from importlib.resources import files

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from ..annotation.services import annotation_save
from ..ingestion.segmentation import parse_article_text
from ..ingestion.services import document_create
from ..labelling import GRADES, ORDINAL_SCALES
from ..models import Annotation, Label, LabelGroup, Project, Source, Statement
from ..registry.selectors import source_index_build
from ..registry.services import sources_load
from ..roles import ANNOTATORS_GROUP, LEADS_GROUP
from ..vocabulary.services import label_groups_load, schema_groups_add

# Package data: the example article, the source registry, the label vocabularies, the project.
DATA = files(__package__) / "data"


@dataclass
class DemoResult:
    project: Project
    accounts: list[tuple[str, str, str]]  # (username, password, role)
    annotations_created: int


def fixture(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def demo_user_ensure(record: dict):
    user, created = get_user_model().objects.get_or_create(
        username=record["username"], defaults={"is_staff": True}
    )
    if created:
        user.set_password(record["password"])
        user.save()
    group_name = LEADS_GROUP if record["role"] == "lead" else ANNOTATORS_GROUP
    user.groups.add(Group.objects.get(name=group_name))
    return user


def demo_articles_import(project: Project, articles: list[dict]) -> None:
    source_index = source_index_build()
    for article in articles:
        parsed = parse_article_text((DATA / article["file"]).read_text(encoding="utf-8"))
        document_create(
            project=project,
            title=parsed.title,
            text=parsed.text,
            language=article["language"],
            source_index=source_index,
            place=parsed.place,
            listed_sources=parsed.listed_sources,
            url=parsed.url,
            external_id=article["external_id"],
        )


def shifted(field: str, grade: str, step: int) -> str:
    """Move a grade along its ordinal scale (A–E / 1–5): F and 6 ("cannot be judged") are no
    step of it, and a shift from them lands on its far end."""
    scale = ORDINAL_SCALES[field]
    position = min(max(GRADES[field].index(grade) + step, 0), len(scale) - 1)
    return scale[position]


def demo_grades(style: str, typical: tuple[str, str], rng: random.Random) -> tuple[str, str]:
    reliability, credibility = typical
    if style == "strict" and rng.random() < 0.35:
        reliability, credibility = shifted("source_reliability", reliability, 1), credibility
    if style == "lenient" and rng.random() < 0.35:
        credibility = shifted("info_credibility", credibility, -1)
    if style == "cautious" and rng.random() < 0.2:
        reliability, credibility = "F", "6"
    if rng.random() < 0.15:
        credibility = shifted("info_credibility", credibility, rng.choice([-1, 1]))
    return reliability, credibility


def demo_labels(statement: Statement, style: str, rng: random.Random) -> list[Label]:
    labels = {(label.group.name, label.name): label for label in Label.objects.select_related()}
    text = statement.text
    quoted = "„" in text or "“" in text
    biased = quoted or "angeblich" in text or rng.random() < (0.35 if style == "strict" else 0.15)
    chosen = [labels[("Bias", "biased" if biased else "non-biased")]]
    if "Befreiung" in text or "siegreich" in text:
        chosen.append(
            labels[("Stance", "pro-Russia" if style != "cautious" else "pro-North Korea")]
        )
    elif rng.random() < 0.6:
        chosen.append(labels[("Stance", "neutral")])
    if quoted:
        chosen.append(labels[("Persuasion techniques", "euphemism/scare quotes")])
    if statement.suggested_source_id and rng.random() < 0.5:
        chosen.append(labels[("Persuasion techniques", "unverified claim")])
    if biased and style == "strict":
        chosen.append(labels[("Persuasion techniques", "loaded language")])
    return chosen


# Whom a cautious annotator credits instead of a person or agency: the state behind it.
INSTITUTION_BEHIND = {
    "KCNA": "North Korean government",
    "Waleri Gerassimow": "Russian government",
    "Wolodymyr Selenskyj": "Ukrainian government",
}


def demo_source(suggested: Source | None, style: str, rng: random.Random) -> Source | None:
    """The suggested source, with the disagreements real annotators have about it."""
    if suggested is None:
        return None
    if style == "lenient" and rng.random() < 0.25:
        return None  # overlooked the attribution
    if style == "cautious" and suggested.name in INSTITUTION_BEHIND and rng.random() < 0.5:
        return Source.objects.get(name=INSTITUTION_BEHIND[suggested.name])
    return suggested


def demo_annotations_create(project: Project, annotator, style: str, typical: dict) -> int:
    created = 0
    statements = Statement.objects.filter(document__project=project).select_related(
        "suggested_source"
    )
    for statement in statements:
        if Annotation.objects.for_user(annotator).filter(statement=statement).exists():
            continue
        rng = random.Random(f"{annotator.username}:{statement.document_id}:{statement.position}")
        source = demo_source(statement.suggested_source, style, rng)
        grades = typical.get(source.name if source else "", typical[""])
        reliability, credibility = demo_grades(style, tuple(grades), rng)
        annotation = Annotation(
            statement=statement,
            annotator=annotator,
            source=source,
            source_mention=statement.suggested_mention if source else "",
            source_reliability=reliability,
            info_credibility=credibility,
        )
        labels = demo_labels(statement, style, rng)
        annotation_save(annotation=annotation, labels=labels, changed_by=annotator)
        created += 1
    return created


def demo_load() -> DemoResult:
    # Refuse before touching the database: a production database may not even be reachable.
    if not settings.DEBUG:
        raise RuntimeError(
            "The demo creates accounts with published passwords; it refuses to run with "
            "DJANGO_DEBUG off."
        )
    with transaction.atomic():
        return demo_data_load()


def demo_data_load() -> DemoResult:
    demo = fixture("demo_project.json")
    sources_load(records=fixture("sources.json"))
    label_groups_load(records=fixture("label_groups.json"))
    project, _ = Project.objects.get_or_create(
        name=demo["project"]["name"], defaults=demo["project"]
    )
    schema_ensure(project, demo["schema"])
    demo_articles_import(project, demo["articles"])
    created = 0
    users = {}
    for record in demo["users"]:
        user = users[record["username"]] = demo_user_ensure(record)
        if record["role"] == "lead":
            continue  # the Leads group is the whole role: leads lead every project
        project.annotators.add(user)
        if record.get("annotates"):
            created += demo_annotations_create(
                project, user, record["style"], demo["typical_grades"]
            )
    study_load(users, demo["typical_grades"])
    accounts = [(u["username"], u["password"], u["role"]) for u in demo["users"]]
    return DemoResult(project=project, accounts=accounts, annotations_created=created)


# --- the second project -------------------------------------------------------------------


def schema_ensure(project: Project, schema: list[dict]) -> None:
    """The project's schema as the fixture lists it, where the project has none yet."""
    if project.schema_entries.exists():
        return
    groups = [LabelGroup.objects.get(name=entry["group"]) for entry in schema]
    required = {entry["group"]: entry["required"] for entry in schema}
    schema_groups_add(project=project, groups=groups, required=required)


def study_labels(statement: Statement, style: str, words: dict, rng: random.Random) -> list:
    labels = {(label.group.name, label.name): label for label in Label.objects.select_related()}
    topics = [
        labels[("Topic", topic)]
        for topic, cues in words.items()
        if any(cue.lower() in statement.text.lower() for cue in cues)
    ]
    if not topics or (style == "lenient" and rng.random() < 0.2):
        topics = [labels[("Topic", "military" if rng.random() < 0.6 else "diplomacy")]]
    stance = "pro-Russia" if "Befreiung" in statement.text else "neutral"
    if style == "lenient" and rng.random() < 0.2:
        stance = "pro-Ukraine" if "Ukraine" in statement.text else "neutral"
    return [*topics, labels[("Stance", stance)]]


def study_load(users: dict, typical: dict) -> Project:
    """The second demo project, its schema, the article and two annotators' annotations."""
    study = fixture("topic_study.json")
    label_groups_load(records=study["label_groups"])
    project, _ = Project.objects.get_or_create(
        name=study["project"]["name"], defaults=study["project"]
    )
    schema_ensure(project, study["schema"])
    articles = fixture("demo_project.json")["articles"]
    if not project.documents.exists():
        demo_articles_import(project, articles)
    for record in study["annotators"]:
        user = users[record["username"]]
        project.annotators.add(user)
        statements = Statement.objects.filter(document__project=project)
        for statement in statements.select_related("suggested_source"):
            if Annotation.objects.for_user(user).filter(statement=statement).exists():
                continue
            rng = random.Random(f"study:{user.username}:{statement.position}")
            source = demo_source(statement.suggested_source, record["style"], rng)
            grades = typical.get(source.name if source else "", typical[""])
            reliability, credibility = demo_grades(record["style"], tuple(grades), rng)
            annotation = Annotation(
                statement=statement,
                annotator=user,
                source=source,
                source_mention=statement.suggested_mention if source else "",
                source_reliability=reliability,
                info_credibility=credibility,
            )
            labels = study_labels(statement, record["style"], study["topic_words"], rng)
            annotation_save(annotation=annotation, labels=labels, changed_by=user)
    return project
