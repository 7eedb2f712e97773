from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = _("Posts")

    def ready(self) -> None:
        from camp.lists.bulk import bulk_job_kind
        from camp.lists.exporting import xlsx_job_kind
        from camp.lists.import_jobs import import_job_kind

        from .filters import POST_COLUMNS
        from .selectors import deleted_post_bulk_targets, post_bulk_targets, post_list
        from .services import DELETED_POST_BULK_ACTIONS, POST_BULK_ACTIONS, PostImporter

        bulk_job_kind(
            key="posts.bulk",
            label=_("Bulk action on posts"),
            actions=POST_BULK_ACTIONS,
            targets=post_bulk_targets,
        )
        bulk_job_kind(
            key="posts.restore",
            label=_("Restore of deleted posts"),
            actions=DELETED_POST_BULK_ACTIONS,
            targets=deleted_post_bulk_targets,
        )
        xlsx_job_kind(
            key="posts.xlsx",
            label=_("XLSX export of posts"),
            permission="posts.view_post",
            columns=POST_COLUMNS,
            queryset=lambda params: post_list(params=params).qs,
        )
        import_job_kind(
            key="posts.import",
            label=_("Import of posts"),
            preview_label=_("Preview of an import of posts"),
            import_url="posts:import",
            permissions=("posts.add_post", "posts.change_post"),
            importer=lambda owner: PostImporter(),
        )
