"""Identifiers the sample environment's seeding modules share (`connections.sample` imports the
others, so they cannot import it)."""

SAMPLE_ACCOUNT_ID = "123456789012"  # moto's default account
# moto does not check AMI ids unless MOTO_ENABLE_AMI_VALIDATION is set; any well-formed id runs.
IMAGE_ID = "ami-12c6146b"
