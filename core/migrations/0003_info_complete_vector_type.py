"""Dallinger's `info.complete` and `vector.type` columns, so exports carry every column of its
tables; existing infos with contents are marked complete, as Dallinger would have."""

from django.db import migrations, models


def mark_infos_with_contents_complete(apps, schema_editor):
    apps.get_model("core", "Info").objects.filter(contents__isnull=False).update(complete=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_tracking_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="info",
            name="complete",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="vector",
            name="type",
            field=models.CharField(default="vector", max_length=50),
        ),
        migrations.RunPython(mark_infos_with_contents_complete, migrations.RunPython.noop),
    ]
