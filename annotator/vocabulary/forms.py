"""The forms that set whether a label group is single or multiple choice (the label group's
own form, a project's schema inline): a change to single choice that the labels already given
do not fit is refused on the field, before anything is saved."""

from django import forms

from .services import choice_change_check


class ChoiceCheckedForm(forms.ModelForm):
    def _post_clean(self) -> None:
        # After the model's own validation has put the form's values on the instance (as
        # Django's UserCreationForm checks passwords): the check needs the group and project.
        super()._post_clean()
        if self.errors.get("group") or self.errors.get("multiple"):
            return
        try:
            choice_change_check(self.instance)
        except forms.ValidationError as error:
            self._update_errors(error)
