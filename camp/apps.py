from django.apps import AppConfig


class CampConfig(AppConfig):
    name = "camp"
    verbose_name = "Camp"

    def ready(self) -> None:
        from .accounts import receivers  # noqa: F401  (counts failed codes for axes)
        from .dashboard import invalidation  # noqa: F401  (connects the cache receivers)
