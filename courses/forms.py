from django import forms

from courses.models import Profile, time_zone_choices


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    day_starts_at = forms.TypedChoiceField(
        choices=[(h, f"{h:02d}:00") for h in range(24)], coerce=int
    )

    class Meta:
        model = Profile
        fields = ["time_zone", "day_starts_at"]
