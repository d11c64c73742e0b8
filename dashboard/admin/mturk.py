"""Mechanical Turk's tables: the experiment's HIT and the SNS messages its notifications came in."""

from django.contrib import admin

from dashboard.admin.base import BrowseAdmin
from recruitment.models import MTurkHit, SnsMessage


@admin.register(MTurkHit)
class MTurkHitAdmin(BrowseAdmin):
    """The HIT each experiment recruits through on Mechanical Turk, sandbox or live."""

    list_display = ("id", "experiment", "hit_id", "hit_type_id", "sandbox", "created_at")
    list_filter = ("sandbox",)
    search_fields = ("experiment", "hit_id", "hit_type_id")


@admin.register(SnsMessage)
class SnsMessageAdmin(BrowseAdmin):
    """Each verified SNS message once (a repeated delivery changes nothing); each event in a
    notification is a row of Notifications. The message itself is not shown: a subscription
    confirmation carries the token that confirms it."""

    list_display = ("id", "message_type", "message_id", "topic_arn", "received_at", "confirmed_at")
    list_filter = ("message_type",)
    search_fields = ("message_id",)
    hidden_fields = ("body",)
