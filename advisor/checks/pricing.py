"""A small price table for the cost-optimizing checks' savings estimates.

The figures are approximate us-east-1 on-demand list prices in USD (Linux, single-AZ, MySQL for
RDS) taken from the public AWS pricing pages; they are not fetched from the Pricing API and will
drift from AWS's current prices. They only need to rank resources and give a plausible
`estimatedMonthlySavings`. An instance or volume type missing from a table falls back to the
table's DEFAULT, a mid-range figure, rather than to zero, so an unknown type still shows savings.
"""

from __future__ import annotations

# AWS bills a month as 730 hours in its calculators.
HOURS_PER_MONTH = 730

# EC2 on-demand $/hour.
EC2_HOURLY = {
    "t2.nano": 0.0058,
    "t2.micro": 0.0116,
    "t2.small": 0.023,
    "t2.medium": 0.0464,
    "t2.large": 0.0928,
    "t3.nano": 0.0052,
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3.xlarge": 0.1664,
    "t3.2xlarge": 0.3328,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "m1.small": 0.044,
    "m4.large": 0.10,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m5.2xlarge": 0.384,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m7g.large": 0.0816,
    "c5.large": 0.085,
    "c5.xlarge": 0.17,
    "c6i.large": 0.085,
    "r5.large": 0.126,
    "r5.xlarge": 0.252,
    "r6i.large": 0.126,
}
EC2_DEFAULT_HOURLY = 0.10  # about an m5.large

# RDS for MySQL single-AZ on-demand $/hour; Multi-AZ doubles it.
RDS_HOURLY = {
    "db.t2.micro": 0.017,
    "db.t2.small": 0.034,
    "db.t3.micro": 0.017,
    "db.t3.small": 0.034,
    "db.t3.medium": 0.068,
    "db.t3.large": 0.136,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.m5.large": 0.171,
    "db.m5.xlarge": 0.342,
    "db.m6g.large": 0.152,
    "db.m6i.large": 0.171,
    "db.r5.large": 0.25,
    "db.r6g.large": 0.225,
}
RDS_DEFAULT_HOURLY = 0.171  # about a db.m5.large
RDS_STORAGE_GB_MONTH = 0.115  # General Purpose (gp2) storage

# Amazon Redshift on-demand $/hour per node.
REDSHIFT_NODE_HOURLY = {
    "dc2.large": 0.25,
    "dc2.8xlarge": 4.80,
    "ds2.xlarge": 0.85,
    "ds2.8xlarge": 6.80,
    "ra3.large": 0.543,
    "ra3.xlplus": 1.086,
    "ra3.4xlarge": 3.26,
    "ra3.16xlarge": 13.04,
}
REDSHIFT_DEFAULT_NODE_HOURLY = 1.086  # an ra3.xlplus

# EBS $/GB-month by volume type (provisioned IOPS and throughput charges are left out).
EBS_GB_MONTH = {
    "gp2": 0.10,
    "gp3": 0.08,
    "io1": 0.125,
    "io2": 0.125,
    "st1": 0.045,
    "sc1": 0.015,
    "standard": 0.05,
}
EBS_DEFAULT_GB_MONTH = 0.10  # gp2

# A public IPv4 address costs $0.005/hour whether or not it is attached.
EIP_MONTHLY = round(0.005 * HOURS_PER_MONTH, 2)
# A Classic Load Balancer costs $0.025/hour before data processing charges.
ELB_MONTHLY = round(0.025 * HOURS_PER_MONTH, 2)


def ec2_monthly(instance_type: str) -> float:
    return round(EC2_HOURLY.get(instance_type, EC2_DEFAULT_HOURLY) * HOURS_PER_MONTH, 2)


def rds_monthly(instance_class: str, storage_gb: int, *, multi_az: bool) -> float:
    copies = 2 if multi_az else 1
    compute = RDS_HOURLY.get(instance_class, RDS_DEFAULT_HOURLY) * HOURS_PER_MONTH
    return round(copies * (compute + storage_gb * RDS_STORAGE_GB_MONTH), 2)


def ebs_monthly(volume_type: str, size_gb: int) -> float:
    return round(EBS_GB_MONTH.get(volume_type, EBS_DEFAULT_GB_MONTH) * size_gb, 2)


def redshift_monthly(node_type: str, nodes: int) -> float:
    hourly = REDSHIFT_NODE_HOURLY.get(node_type, REDSHIFT_DEFAULT_NODE_HOURLY)
    return round(hourly * max(nodes, 1) * HOURS_PER_MONTH, 2)
