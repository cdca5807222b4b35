from django.db import models
from django.utils import timezone


class Announcement(models.Model):
    """A news item for the home page; staff write them in the admin.

    An announcement stays hidden until its publication time, so it can be
    prepared in advance.
    """

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title
