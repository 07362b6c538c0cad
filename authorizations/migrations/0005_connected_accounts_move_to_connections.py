from django.db import migrations


class Migration(migrations.Migration):
    """Hand ConnectedAccount to the connections app, keeping its rows.

    Only the state forgets the model here; the table is renamed to the name
    connections gives it, so no row is copied and the encrypted credentials stay
    as they were written. connections 0001_initial takes the model up.
    """

    dependencies = [
        ("authorizations", "0004_refuse_nul_and_bound_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(
                    name="connectedaccount", table="connections_connectedaccount"
                ),
            ],
            state_operations=[
                migrations.DeleteModel(name="ConnectedAccount"),
            ],
        ),
    ]
