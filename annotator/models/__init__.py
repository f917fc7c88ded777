"""The data model, one module per capability; every model is importable from here
(`from annotator.models import Annotation`), as Django expects of an app's models."""

from .flags import FLAG_NOTE_MAX_LENGTH, FlagResolution
from .jobs import Job
from .labels import (
    NOTE_MAX_LENGTH,
    Annotation,
    GoldLabel,
    InfoCredibility,
    Labelling,
    LabelRevision,
    SourceReliability,
    grade_constraints,
    mention_span_problem,
)
from .progress import AnnotatorProgress, OpenStatement
from .projects import Document, Project, ProjectProgress, Statement
from .schema import ProjectLabelGroup, SchemaChange
from .sources import Source
from .vocabulary import Label, LabelGroup

__all__ = [
    "FLAG_NOTE_MAX_LENGTH",
    "FlagResolution",
    "NOTE_MAX_LENGTH",
    "OpenStatement",
    "Annotation",
    "AnnotatorProgress",
    "Document",
    "GoldLabel",
    "InfoCredibility",
    "Job",
    "Label",
    "LabelGroup",
    "LabelRevision",
    "Labelling",
    "Project",
    "ProjectProgress",
    "ProjectLabelGroup",
    "SchemaChange",
    "Source",
    "SourceReliability",
    "Statement",
    "grade_constraints",
    "mention_span_problem",
]
