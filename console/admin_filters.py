"""Changelist filters that stay small however many rows their choices have."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect


class AutocompleteFilterMediaMixin:
    """Give a ModelAdmin the scripts its AutocompleteRelatedFilter needs.

    On the ModelAdmin rather than in the filter's template, so that jQuery is
    loaded once, merged with the admin's own.
    """

    @property
    def media(self):
        # The widget's media depends on the language only, not on its field.
        return (
            super().media
            + AutocompleteSelect(None, None).media
            # Named after jquery.init.js, which defines the django.jQuery it uses.
            + forms.Media(
                js=["admin/js/jquery.init.js", "admin-console/autocomplete-filter.js"]
            )
        )


class AutocompleteRelatedFilter(admin.RelatedFieldListFilter):
    """Filter by a related object found with a search box, not picked from a list.

    The stock filter lists every related row in the sidebar: at 10,000 apps a
    changelist weighed 700 KB and took several times longer than the rows it
    showed. This one lists only the object chosen (and "All"), and offers the
    admin's autocomplete search to choose another; the URL parameter is the
    stock one (`app__id__exact=…`), so links keep working.
    """

    template = "admin/console/autocomplete_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.request, self.model_admin = request, model_admin
        super().__init__(field, request, params, model, model_admin, field_path)

    def has_output(self):
        # Shown while an object is chosen, or when its search can answer.
        return bool(self.lookup_choices) or self._may_search()

    def _may_search(self) -> bool:
        related_admin = self.model_admin.admin_site._registry.get(
            self.field.remote_field.model
        )
        # The search answers only those who may view what it finds.
        return related_admin is not None and related_admin.has_view_permission(
            self.request
        )

    def field_choices(self, field, request, model_admin):
        # Only the chosen object: a bounded list whatever the table's size.
        chosen = [
            int(value)
            for value in self.lookup_val or []
            # Beyond 64 bits SQLite raises OverflowError rather than finding none.
            if value.isascii() and value.isdigit() and int(value) < 2**63
        ]
        if not chosen:
            return []
        related = field.remote_field.model._default_manager.filter(pk__in=chosen)
        return [(obj.pk, str(obj)) for obj in related]

    def choices(self, changelist):
        # The template also needs the changelist, to keep the other filters.
        self.search = self._search_box(changelist)
        yield from super().choices(changelist)

    def _search_box(self, changelist) -> dict | None:
        if not self._may_search():
            return None
        site = self.model_admin.admin_site
        field = forms.ModelChoiceField(
            queryset=self.field.remote_field.model._default_manager.all(),
            required=False,
            widget=AutocompleteSelect(
                self.field, site, attrs={"class": "console-autocomplete-filter"}
            ),
        )
        value = self.lookup_val[-1] if self.lookup_choices else None
        return {
            "select": field.widget.render(
                self.lookup_kwarg,
                value,
                attrs={
                    "id": f"filter-{self.lookup_kwarg}",
                    "aria-label": f"Find {self.title}",
                },
            ),
            "keep": [
                (name, value)
                for name, value in changelist.params.items()
                if name not in (self.lookup_kwarg, self.lookup_kwarg_isnull)
            ],
        }
