"""Model fields the console's apps share."""

from django.db import models

from console.validators import validate_http_url


class HttpURLField(models.URLField):
    """A URL field that takes absolute http(s) URLs only, with one clear message.

    The stock URLField also takes ftp:// and says only "Enter a valid URL.";
    the console calls and links http(s) addresses only.
    """

    default_validators = [validate_http_url]

    def formfield(self, **kwargs):
        # Every form over the field, the admin's included: https is assumed
        # when no scheme is typed, and one clear message replaces the form
        # field's generic "Enter a valid URL." said twice.
        field = super().formfield(**{"assume_scheme": "https", **kwargs})
        field.validators = [validate_http_url]
        return field
