from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0008_faults_photo_claimed_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="archived",
            field=models.BooleanField(default=False),
        ),
    ]
