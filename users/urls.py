from django.urls import path

from . import views

app_name = "users"
urlpatterns = [
    path("", views.UserListView.as_view(), name="list"),
    path("new/", views.UserCreateView.as_view(), name="create"),
    path("suggest/", views.UserAutocompleteView.as_view(), name="autocomplete"),
    path("bulk/", views.UserBulkView.as_view(), name="bulk"),
    path("export.csv", views.UserExportView.as_view(), name="export_csv"),
    path("export.xlsx", views.UserExportView.as_view(fmt="xlsx"), name="export_xlsx"),
    path("import/", views.UserImportView.as_view(), name="import"),
    path("import/confirm/", views.UserImportConfirmView.as_view(), name="import_confirm"),
    path("views/", views.UserSavedViewsView.as_view(), name="views"),
    path("views/change/", views.UserSavedViewChangeView.as_view(), name="view_change"),
    path("views/remove/", views.UserSavedViewDeleteView.as_view(), name="view_remove"),
    path("<int:pk>/", views.UserDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.UserUpdateView.as_view(), name="update"),
    path("<int:pk>/password/", views.UserSetPasswordView.as_view(), name="set_password"),
    path("<int:pk>/activate/", views.UserSetActiveView.as_view(active=True), name="activate"),
    path(
        "<int:pk>/deactivate/",
        views.UserSetActiveView.as_view(active=False),
        name="deactivate",
    ),
    path("<int:pk>/delete/", views.UserDeleteView.as_view(), name="delete"),
]
