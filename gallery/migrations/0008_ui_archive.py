from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0007_sharing_links_members"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="archived",
            field=models.BooleanField(default=False),
        ),
    ]
