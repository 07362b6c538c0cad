import django.db.models.deletion
from django.db import migrations, models

import console.encryption


def move_content_type(apps, schema_editor, *, source, target):
    """Relabel the model's content type, so its permissions and grants follow.

    Groups (Account managers) and users keep the connected-account permissions
    they were given, and the admin's history keeps pointing at the same rows.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    moving = ContentType.objects.using(db).filter(
        app_label=source, model="connectedaccount"
    )
    if not moving.exists():
        return  # A new database: post_migrate creates the content type.
    # One made for the target in the meantime holds no grants: the old one wins.
    ContentType.objects.using(db).filter(
        app_label=target, model="connectedaccount"
    ).delete()
    moving.update(app_label=target)


def forwards(apps, schema_editor):
    move_content_type(
        apps, schema_editor, source="authorizations", target="connections"
    )


def backwards(apps, schema_editor):
    move_content_type(
        apps, schema_editor, source="connections", target="authorizations"
    )


class Migration(migrations.Migration):
    """Take up ConnectedAccount from authorizations, in its renamed table."""

    initial = True

    dependencies = [
        ("authorizations", "0005_connected_accounts_move_to_connections"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ConnectedAccount",
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('user_identity', models.CharField(max_length=500)),
                        ('account_id', models.CharField(blank=True, help_text="The provider's stable id.", max_length=255, verbose_name='account ID')),
                        ('credentials', console.encryption.EncryptedJSONField(blank=True, default=dict, help_text='Tokens and form credentials, encrypted.')),
                        ('extras', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('active', 'Active'), ('expired', 'Expired'), ('error', 'Error'), ('revoked', 'Revoked')], default='active', max_length=16)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('last_refreshed_at', models.DateTimeField(blank=True, null=True)),
                        ('last_verified_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('authorization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='connected_accounts', to='authorizations.authorization')),
                    ],
                    options={
                        'ordering': ['-updated_at'],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
