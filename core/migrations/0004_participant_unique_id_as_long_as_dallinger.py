"""A participant's unique id holds `<worker_id>:<assignment_id>`, two 50-character ids, so it
is as long as Dallinger's (150): a Dallinger export with long ids loads."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_info_complete_vector_type"),
    ]

    operations = [
        migrations.AlterField(
            model_name="participant",
            name="unique_id",
            field=models.CharField(db_index=True, max_length=150),
        ),
    ]
