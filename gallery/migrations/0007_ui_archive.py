from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0006_places_describe"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="archived",
            field=models.BooleanField(default=False),
        ),
    ]
