from django import forms
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Sign-up where a rejected password is said under the password itself, and nothing typed is lost."""

    invite = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    class Meta(UserCreationForm.Meta):
        fields = ["username"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            # Kept after an error so the person fixes one field instead of retyping all three.
            self.fields[name].widget = forms.PasswordInput(
                attrs={**self.fields[name].widget.attrs, "autocomplete": "new-password"}, render_value=True
            )

    def _post_clean(self):
        super()._post_clean()
        # Django reports the password validators' verdict on the confirmation; it is about the password.
        errors = self.errors.get("password2")
        if errors:
            moved = [e for e in errors.as_data() if e.code != "password_mismatch"]
            kept = [e for e in errors.as_data() if e.code == "password_mismatch"]
            if moved:
                if kept:
                    self.errors["password2"] = self.error_class(kept)
                else:
                    del self.errors["password2"]
                for error in moved:
                    self.add_error("password1", error)
