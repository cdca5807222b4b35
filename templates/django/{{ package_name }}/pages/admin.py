from django.contrib import admin

from .models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    list_display = ["title", "published_at"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
