from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from authorizations.callback import CALLBACK_PATH
from authorizations.flow_views import oauth_callback

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    # The one URL every OAuth provider sends the staff member back to.
    path(CALLBACK_PATH.lstrip("/"), oauth_callback, name="oauth_callback"),
]

admin.site.site_header = "Authorization console"
admin.site.site_title = "Authorization console"
admin.site.index_title = "Apps, authorizations and connected accounts"
