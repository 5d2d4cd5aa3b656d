"""The checks Support Center computes. Importing this package registers every check module."""

# Check modules register themselves on import; keep this list in sync with the package.
from advisor.checks import (  # noqa: F401
    autoscaling,
    base,
    cloudfront,
    cloudtrail,
    ebs,
    ec2,
    elb,
    elb_listeners,
    iam,
    limits,
    rds,
    rds_access,
    route53,
    s3,
    security_groups,
)
from advisor.checks.base import REGISTRY, CheckSpec, Environment, Evaluation, Row  # noqa: F401
