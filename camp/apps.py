from django.apps import AppConfig


class CampConfig(AppConfig):
    name = "camp"
    verbose_name = "Camp"
