from django import forms
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    invite = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    class Meta(UserCreationForm.Meta):
        fields = ["username"]
