# A delivery refused because the connection names a role in the server's own AWS account gets
# a problem of its own: the generic "check the trust policy" sent tenants after the wrong fault.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cloudtrail', '0003_trail_connection_and_problems'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='trail',
            name='trail_last_error_code_valid',
        ),
        migrations.AlterField(
            model_name='trail',
            name='last_error_code',
            field=models.CharField(blank=True, choices=[('not_connected', 'No AWS environment is connected to this account: connect one (Trusted Advisor, AWS connection) or disable the trail.'), ('connection_failed', "The account's AWS connection could not be used: check its access key, or its role's trust policy and external ID."), ('own_account_role', 'The connected role belongs to the AWS account Support Center runs in, which it never uses for an account. Connect a role in your own AWS account.'), ('blocked_endpoint', 'Nothing was sent: the S3 endpoint is not allowed. It must be a public internet host, reached over https.'), ('unresolved', "The S3 endpoint's host name did not resolve."), ('unreachable', 'The S3 endpoint could not be reached.'), ('timed_out', 'The S3 endpoint did not answer in time.'), ('bad_answer', "The S3 endpoint's answer could not be read."), ('no_such_bucket', 'The bucket does not exist.'), ('access_denied', "Access denied: check the bucket policy and the permissions of the account's AWS connection."), ('refused', 'The S3 endpoint refused the request (HTTP status {status}).'), ('missing', 'The file is missing.'), ('write_failed', "The files could not be written to the trail's folder."), ('failed', 'The delivery failed.')], max_length=32),
        ),
        migrations.AddConstraint(
            model_name='trail',
            constraint=models.CheckConstraint(condition=models.Q(('last_error_code__in', ['', 'not_connected', 'connection_failed', 'own_account_role', 'blocked_endpoint', 'unresolved', 'unreachable', 'timed_out', 'bad_answer', 'no_such_bucket', 'access_denied', 'refused', 'missing', 'write_failed', 'failed'])), name='trail_last_error_code_valid'),
        ),
    ]
