"""Dallinger's `info.complete`: true once an info has contents, however it is saved."""

import pytest

from core.models import Info

pytestmark = pytest.mark.django_db


def test_an_info_saved_with_contents_is_complete(make_node):
    info = Info(origin=make_node(), contents="story")
    info.save()

    assert Info.objects.get(pk=info.pk).complete is True


def test_an_info_becomes_complete_when_its_contents_are_written_later(make_node):
    info = Info(origin=make_node())
    info.save()
    assert Info.objects.get(pk=info.pk).complete is False

    info.contents = "written later"
    info.save(update_fields=["contents"])

    assert Info.objects.get(pk=info.pk).complete is True
