"""Static files storage for production: whitenoise's compressed manifest storage, with each
file's URL worked out once per process.

Django's `{% static %}` asks the storage for a URL on every use. With the manifest storage
that is a path clean-up, a manifest lookup and a URL join, about 25–60 µs each on this
machine; base.html has eight, so every page paid about as much as a bare request's own view.
The manifest is read when the process starts and does not change under it (collectstatic
runs before the servers start), so the answer for a name never changes either.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
