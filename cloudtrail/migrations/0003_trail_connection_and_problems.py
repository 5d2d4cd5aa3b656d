# Trails deliver to S3 with the account's AWS connection only: the per-trail access key and its
# encrypted secret are dropped (a trail that had them uses the connection from now on, or fails
# with "no AWS environment is connected" until there is one). The last error becomes a code the
# page words itself: the old text could quote what an endpoint answered, so it is not kept.

from django.db import migrations, models


def errors_to_codes(apps, schema_editor):
    Trail = apps.get_model("cloudtrail", "Trail")
    Trail.objects.exclude(last_error="").update(last_error_code="failed")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_time_zone'),
        ('cloudtrail', '0002_trail_tables_renamed'),
    ]

    operations = [
        migrations.AddField(
            model_name='trail',
            name='last_error_code',
            field=models.CharField(blank=True, choices=[('not_connected', 'No AWS environment is connected to this account: connect one (Trusted Advisor, AWS connection) or disable the trail.'), ('connection_failed', "The account's AWS connection could not be used: check its access key, or its role's trust policy and external ID."), ('blocked_endpoint', 'Nothing was sent: the S3 endpoint is not allowed. It must be a public internet host, reached over https.'), ('unresolved', "The S3 endpoint's host name did not resolve."), ('unreachable', 'The S3 endpoint could not be reached.'), ('timed_out', 'The S3 endpoint did not answer in time.'), ('bad_answer', "The S3 endpoint's answer could not be read."), ('no_such_bucket', 'The bucket does not exist.'), ('access_denied', "Access denied: check the bucket policy and the permissions of the account's AWS connection."), ('refused', 'The S3 endpoint refused the request (HTTP status {status}).'), ('missing', 'The file is missing.'), ('write_failed', "The files could not be written to the trail's folder."), ('failed', 'The delivery failed.')], max_length=32),
        ),
        migrations.AddField(
            model_name='trail',
            name='last_error_status',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(errors_to_codes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='trail',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='trail',
            name='s3_access_key_id',
        ),
        migrations.RemoveField(
            model_name='trail',
            name='s3_secret_encrypted',
        ),
        migrations.AddConstraint(
            model_name='trail',
            constraint=models.CheckConstraint(condition=models.Q(('last_error_code__in', ['', 'not_connected', 'connection_failed', 'blocked_endpoint', 'unresolved', 'unreachable', 'timed_out', 'bad_answer', 'no_such_bucket', 'access_denied', 'refused', 'missing', 'write_failed', 'failed'])), name='trail_last_error_code_valid'),
        ),
    ]
