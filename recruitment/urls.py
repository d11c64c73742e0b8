"""Recruitment's routes, served before the experiment's own."""

from django.urls import path

from recruitment import views

urlpatterns = [
    path("prolific-webhook", views.prolific_webhook, name="prolific-webhook"),
]
