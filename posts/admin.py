from django.contrib import admin

from .models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "status", "created_at", "updated_at")
    list_filter = ("status", "created_at")
    list_select_related = ("author",)
    search_fields = ("title", "author__username")
    raw_id_fields = ("author",)
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False
