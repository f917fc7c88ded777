"""The lead's form for making a suggested mention a registry source."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Source, Statement
from ..request_ids import ValidIdsAutocompleteSelect


class SourceFromMentionForm(forms.Form):
    name = forms.CharField(
        label=_("name of the new source"),
        max_length=200,
        required=False,
        help_text=_("The mention becomes its first alias."),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Source.Kind.choices, initial="other")
    existing = forms.ModelChoiceField(
        label=_("or add the mention as an alias of"),
        queryset=Source.objects.all(),
        required=False,
        help_text=_("Leave empty to create a new source."),
    )

    def __init__(self, *args, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        existing = self.fields["existing"]
        existing.widget = ValidIdsAutocompleteSelect(
            Statement._meta.get_field("suggested_source"), admin_site, choices=existing.choices
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("existing") and not cleaned.get("name", "").strip():
            raise ValidationError(gettext("Name the new source, or choose an existing one."))
        return cleaned
