"""The annotation form: the labelling form, plus the check that an annotator annotates a
statement once (a repeated submission of the same labels is let through as a double click)."""

from django import forms
from django.utils.translation import gettext as _

from ..labelling import LABELLING_FIELDS, labelling_content
from ..labelling_admin import LabellingForm
from ..models import Annotation


class AnnotationForm(LabellingForm):
    class Meta:
        model = Annotation
        fields = list(LABELLING_FIELDS)

    def clean(self):
        cleaned_data = super().clean()
        annotation = self.instance
        if annotation.statement_id and annotation.annotator_id and not self.errors:
            duplicate = (
                Annotation.objects.filter(
                    statement_id=annotation.statement_id, annotator_id=annotation.annotator_id
                )
                .exclude(pk=annotation.pk)
                .first()
            )
            # The same labels posted twice (a double click) are let through: saving then meets
            # the existing annotation and the view answers as if this request had saved it.
            if duplicate is not None and not self.repeats(duplicate):
                raise forms.ValidationError(
                    _("You have already annotated this statement; edit your annotation instead."),
                    code="duplicate",
                )
        return cleaned_data

    def repeats(self, existing: Annotation) -> bool:
        posted = Annotation(
            source=self.cleaned_data.get("source"),
            source_mention=self.cleaned_data.get("source_mention", ""),
            source_reliability=self.cleaned_data.get("source_reliability"),
            info_credibility=self.cleaned_data.get("info_credibility"),
            note=self.cleaned_data.get("note", ""),
        )
        return labelling_content(existing, existing.labels.all()) == labelling_content(
            posted, self.chosen_labels()
        )
