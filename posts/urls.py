from django.urls import path

from . import views

app_name = "posts"
urlpatterns = [
    path("", views.PostListView.as_view(), name="list"),
    path("new/", views.PostCreateView.as_view(), name="create"),
    path("bulk/", views.PostBulkView.as_view(), name="bulk"),
    path("export.csv", views.PostExportView.as_view(), name="export_csv"),
    path("export.xlsx", views.PostExportView.as_view(fmt="xlsx"), name="export_xlsx"),
    path("import/", views.PostImportView.as_view(), name="import"),
    path("import/confirm/", views.PostImportConfirmView.as_view(), name="import_confirm"),
    path("views/", views.PostSavedViewsView.as_view(), name="views"),
    path("views/change/", views.PostSavedViewChangeView.as_view(), name="view_change"),
    path("views/remove/", views.PostSavedViewDeleteView.as_view(), name="view_remove"),
    path("deleted/", views.DeletedPostListView.as_view(), name="deleted"),
    path("deleted/restore/", views.DeletedPostBulkView.as_view(), name="bulk_restore"),
    path("deleted/<int:history_id>/restore/", views.PostRestoreView.as_view(), name="restore"),
    path("<int:pk>/", views.PostDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PostUpdateView.as_view(), name="update"),
    path("<int:pk>/status/", views.PostSetStatusView.as_view(), name="set_status"),
    path("<int:pk>/delete/", views.PostDeleteView.as_view(), name="delete"),
]
