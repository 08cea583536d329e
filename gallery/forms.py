from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Accepts many files; each is validated by the shared image validator inside photos_upload."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f] or self._required()

    def _required(self):
        raise forms.ValidationError("Choose one or more photos to upload.", code="required")


class UploadForm(forms.Form):
    files = MultipleFileField(label="Photos")


class TagActionForm(forms.Form):
    """One tag action from the photo page; the name's own rules are checked by the tag services."""

    name = forms.CharField(max_length=63, label="Tag")
    action = forms.ChoiceField(choices=[(a, a) for a in ("add", "remove", "accept", "reject")])


class AlbumForm(forms.Form):
    name = forms.CharField(max_length=100, label="Album name")


class ShareLinkForm(forms.Form):
    """A new share link from the album page (the API's LinkInputSerializer, for the form without JavaScript)."""

    label = forms.CharField(max_length=100, required=False, label="Label (for your list)")
    expires_at = forms.DateTimeField(
        required=False, label="Expires", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    password = forms.CharField(
        max_length=128, required=False, strip=False, widget=forms.PasswordInput, label="Password"
    )
    allow_download = forms.BooleanField(required=False, label="Allow downloading originals")
    show_location = forms.BooleanField(required=False, label="Show locations")
