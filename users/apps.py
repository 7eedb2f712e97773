from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from camp.lists.bulk import bulk_job_kind
        from camp.lists.exporting import xlsx_job_kind
        from camp.lists.import_jobs import import_job_kind

        from .filters import USER_COLUMNS
        from .selectors import user_bulk_targets, user_list
        from .services import USER_BULK_ACTIONS, UserImporter

        bulk_job_kind(
            key="users.bulk",
            label=_("Bulk action on users"),
            actions=USER_BULK_ACTIONS,
            targets=user_bulk_targets,
        )
        xlsx_job_kind(
            key="users.xlsx",
            label=_("XLSX export of users"),
            permission="users.view_user",
            columns=USER_COLUMNS,
            queryset=lambda params: user_list(params=params).qs,
        )
        import_job_kind(
            key="users.import",
            label=_("Import of users"),
            preview_label=_("Preview of an import of users"),
            import_url="users:import",
            permissions=("users.add_user", "users.change_user"),
            importer=lambda owner: UserImporter(by=owner),
        )
