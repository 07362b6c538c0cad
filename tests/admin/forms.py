"""Submit admin forms the way a browser does: read the page, change, post."""

from html.parser import HTMLParser

from django.test import Client


class _FormFields(HTMLParser):
    """Collect what a browser would submit from the form with `form_id`."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if "disabled" in attrs:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_options = name, []
        elif tag == "option" and self._select:
            self._option_value = attrs.get("value")
            self._option_text = ""
            self._select_options.append(("", "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea_text += data
        elif self._option_value is None and self._select_options:
            self._option_text += data

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "form":
            self.in_form = False
        elif tag == "option" and self._select_options:
            value = self._option_value
            if value is None:
                value = self._option_text.strip()
            self._select_options[-1] = (value, self._select_options[-1][1])
            self._option_value = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and self._select_options:
                chosen = [self._select_options[0][0]]
            self.fields.extend((self._select, value) for value in chosen[:1])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the one newline that follows <textarea>.
            text = self._textarea_text.removeprefix("\n")
            self.fields.append((self._textarea, text))
            self._textarea = None


def form_data(html: str, form_id: str) -> dict[str, str]:
    """Return the fields a browser would submit from the page's form."""
    parser = _FormFields(form_id)
    parser.feed(html)
    assert parser.fields, f"no form #{form_id} on the page"
    # The empty template row of an inline is not submitted as a form.
    return {name: value for name, value in parser.fields if "__prefix__" not in name}


def submit(client: Client, url: str, form_id: str, changes=None, *, drop=()):
    """GET `url`, apply `changes` to its form, and POST it back like a browser."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.content.decode(), form_id)
    for name in drop:
        data.pop(name, None)
    data.update(changes or {})
    return client.post(url, data)


def field_errors(response, field: str, *, formset: str | None = None) -> list[str]:
    """Return the error messages shown at `field` of the re-rendered admin form."""
    assert response.status_code == 200, response.status_code
    if formset is None:
        return list(response.context["adminform"].form.errors.get(field, []))
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == formset:
            return [
                e for form in inline.formset.forms for e in form.errors.get(field, [])
            ]
    raise AssertionError(f"no inline {formset}")
