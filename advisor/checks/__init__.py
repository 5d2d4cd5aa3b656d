"""The checks Support Center computes. Importing this package registers every check module."""

# Check modules register themselves on import; keep this list in sync with the package.
from advisor.checks import (  # noqa: F401
    autoscaling,
    balance,
    base,
    cloudfront,
    cloudfront_certificates,
    cloudtrail,
    ebs,
    ebs_performance,
    ec2,
    elb,
    elb_listeners,
    iam,
    limits,
    limits_compute,
    limits_rds,
    limits_services,
    limits_storage,
    performance,
    rds,
    rds_access,
    redshift,
    route53,
    route53_records,
    s3,
    security_groups,
)
from advisor.checks.base import REGISTRY, CheckSpec, Environment, Evaluation, Row  # noqa: F401
