"""The data model, one module per capability; every model is importable from here
(`from annotator.models import Annotation`), as Django expects of an app's models."""

from .labels import (
    NOTE_MAX_LENGTH,
    Annotation,
    GoldLabel,
    InfoCredibility,
    Labelling,
    LabelRevision,
    SourceReliability,
    grade_constraints,
)
from .projects import Document, Project, Statement
from .schema import ProjectLabelGroup, SchemaChange
from .sources import Source
from .vocabulary import Label, LabelGroup

__all__ = [
    "NOTE_MAX_LENGTH",
    "Annotation",
    "Document",
    "GoldLabel",
    "InfoCredibility",
    "Label",
    "LabelGroup",
    "LabelRevision",
    "Labelling",
    "Project",
    "ProjectLabelGroup",
    "SchemaChange",
    "Source",
    "SourceReliability",
    "Statement",
    "grade_constraints",
]
