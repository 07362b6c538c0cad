from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Authorization console"
admin.site.site_title = "Authorization console"
admin.site.index_title = "Apps, authorizations and connected accounts"
